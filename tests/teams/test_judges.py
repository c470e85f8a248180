"""Several people judge one shared sweep: their judgements stay apart, the leaderboard can use
everyone's or one person's."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from teams_services import SharedStore

import phota_widgets as pw
from phota_widgets.experiments import SweepResult
from phota_widgets.experiments.review import judgements
from phota_widgets.local.server import LocalServer

KEY = "judges-key-0123456789"


def session(server: LocalServer, shared: SharedStore, folder: Path) -> pw.Session:
    return pw.Session(
        api_key=KEY, base_url=server.base_url, output_dir=folder, index_url=shared.index_url,
        files_url=shared.files_url, storage_options=shared.storage_options,
    )  # fmt: skip


def test_judges_are_kept_apart_on_a_shared_store(tmp_path: Path, shared: SharedStore) -> None:
    with (
        LocalServer(api_key=KEY) as server,
        session(server, shared, tmp_path / "ana") as ana,
        session(server, shared, tmp_path / "bo") as bo,
    ):
        mine = ana.sweep("generate", prompts=["a kite"], aspect_ratio=["1:1", "16:9"],
                         progress=False)  # fmt: skip
        theirs = SweepResult.load(bo, mine.sweep_id)  # the colleague opens the same sweep
        by_ratio = {o.cell.info.settings["aspect_ratio"]: o.output_id for o in mine.outputs()}
        square, wide = by_ratio["1:1"], by_ratio["16:9"]
        mine.judge(square, wide, "a", judge="ana")
        theirs.judge(square, wide, "b", judge="bo")
        theirs.judge(square, wide, "b", judge="bo")
        mine.rate(square, 5, judge="ana")
        theirs.rate(square, 1, judge="bo")
        ana_board = mine.leaderboard(judge="ana").set_index("variant")
        bo_board = theirs.leaderboard(judge="bo").set_index("variant")
        everyone = theirs.leaderboard().set_index("variant")
        assert ana_board.loc["aspect_ratio=1:1", ["wins", "mean_stars"]].tolist() == [1, 5]
        assert bo_board.loc["aspect_ratio=1:1", ["wins", "losses", "mean_stars"]].tolist() == [
            0, 2, 1,
        ]  # fmt: skip
        assert everyone.loc["aspect_ratio=1:1", ["wins", "losses", "mean_stars"]].tolist() == [
            1, 2, 3,
        ]  # fmt: skip
        ana.store.set_pick(square.split(":")[0], 0, judge="ana")
        assert bo.store.judges() == ["ana", "bo"]
        assert [o.run_id for o in bo.store.picks(judge="ana")] == [square.split(":")[0]]
        assert bo.store.picks(judge="bo") == []


def test_one_judge_on_two_machines_judges_a_pair_once(tmp_path: Path, shared: SharedStore) -> None:
    """Two sessions (two connection pools) of one judge race on PostgreSQL: one row."""
    import threading

    from phota_widgets.store.judging import AlreadyJudgedError

    with (
        LocalServer(api_key=KEY) as server,
        session(server, shared, tmp_path / "one") as one,
        session(server, shared, tmp_path / "two") as two,
    ):
        mine = one.sweep("generate", prompts=["a kite"], aspect_ratio=["1:1", "16:9"],
                         progress=False)  # fmt: skip
        other = SweepResult.load(two, mine.sweep_id)
        a, b = (o.output_id for o in mine.outputs())
        outcomes: list[str] = []
        start = threading.Barrier(6)

        def judge(result: SweepResult) -> None:
            start.wait(timeout=60)
            try:
                judgements.judge(result, a, b, "a", "ana", once=True)
                outcomes.append("recorded")
            except AlreadyJudgedError:
                outcomes.append("refused")

        threads = [threading.Thread(target=judge, args=((mine, other)[i % 2],)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert sorted(outcomes) == ["recorded"] + ["refused"] * 5
        assert len(two.store.judgements([a, b], judge="ana")) == 1
        # a snippet of a team sweep opens the team's store, with no password or local path
        code = mine.snippet(a)
        assert f"files_url={shared.files_url!r}" in code and "index_url='postgresql" in code
        assert str(one.store.root) not in code
        password = make_url(shared.index_url).password
        assert not password or str(password) not in code


def test_one_pairs_criteria_race_all_or_nothing(tmp_path: Path, shared: SharedStore) -> None:
    """Two machines of one judge record overlapping criteria of one pair at once: one whole
    set is recorded, the other refused whole (none of its criteria written)."""
    import threading

    from phota_widgets.store.judging import AlreadyJudgedError

    with (
        LocalServer(api_key=KEY) as server,
        session(server, shared, tmp_path / "one") as one,
        session(server, shared, tmp_path / "two") as two,
    ):
        mine = one.sweep("generate", prompts=["a kite"], aspect_ratio=["1:1", "16:9"],
                         progress=False)  # fmt: skip
        other = SweepResult.load(two, mine.sweep_id)
        a, b = (o.output_id for o in mine.outputs())
        sets = ({"realism": "a", "likeness": "b"}, {"likeness": "tie", "light": "a"})
        outcomes: dict[int, str] = {}
        start = threading.Barrier(2)

        def record(k: int) -> None:
            start.wait(timeout=60)
            try:
                judgements.judge_pair((mine, other)[k], a, b, sets[k], "ana", once=True)
                outcomes[k] = "recorded"
            except AlreadyJudgedError as exc:
                outcomes[k] = f"refused {exc.criteria}"

        threads = [threading.Thread(target=record, args=(k,)) for k in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert sorted(outcomes.values()) == ["recorded", "refused ['likeness']"]
        won = next(k for k, said in outcomes.items() if said == "recorded")
        stored = two.store.judgements([a, b], judge="ana", every_criterion=True)
        assert {j.criterion: j.winner for j in stored} == sets[won]
