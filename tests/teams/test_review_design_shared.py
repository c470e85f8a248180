"""Assignments, model judgements' details and agreement on a shared (PostgreSQL) store."""

from __future__ import annotations

import time
from pathlib import Path

from teams_services import SharedStore

import phota_widgets as pw
from phota_widgets.experiments import SweepResult
from phota_widgets.local.server import LocalServer
from phota_widgets.store.model_judging import ModelJudgementRecord, pair_key

KEY = "design-key-0123456789"


def _session(server: LocalServer, shared: SharedStore, folder: Path) -> pw.Session:
    return pw.Session(
        api_key=KEY, base_url=server.base_url, output_dir=folder, index_url=shared.index_url,
        files_url=shared.files_url, storage_options=shared.storage_options,
    )  # fmt: skip


def test_two_annotators_share_a_split_and_their_agreement(
    tmp_path: Path, shared: SharedStore
) -> None:
    with (
        LocalServer(api_key=KEY) as server,
        _session(server, shared, tmp_path / "ana") as ana,
        _session(server, shared, tmp_path / "ben") as ben,
    ):
        mine = ana.sweep("generate", prompts=["a kite"], aspect_ratio=["1:1", "16:9", "4:3"],
                         progress=False)  # fmt: skip
        table = mine.assign(["ana", "ben"], overlap=1.0)
        assert list(table["pairs"]) == [3, 3]
        theirs = SweepResult.load(ben, mine.sweep_id)
        ben_pairs = theirs.review(judge="ben").pairs
        assert len(ben_pairs) == 3
        for pair in ben_pairs:
            mine.judge(pair.a.output_id, pair.b.output_id, "a", judge="ana")
            theirs.judge(pair.a.output_id, pair.b.output_id, "a", judge="ben")
        assert theirs.agreement("ana", "ben").agreeing == 3
        record = ModelJudgementRecord(
            "model:x", pair_key("r:0", "s:0"), None, mine.sweep_id, "left", "right", True, 5, 1,
            None, time.time(),
        )  # fmt: skip
        ana.store.model_judging.add(record)
        ana.store.model_judging.add(record)  # asked again: replaced, not duplicated
        assert list(ben.store.model_judging.of_judge("model:x")) == [record.pair]
