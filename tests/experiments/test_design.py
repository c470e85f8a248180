"""Review by design: pairs along chosen axes only, and pairs assigned among annotators."""

from __future__ import annotations

from collections import Counter

import pytest

import phota_widgets as pw
from phota_widgets.experiments import SweepResult
from phota_widgets.store.model_judging import pair_key
from phota_widgets.widgets.review import ReviewPanel


def _sweep(session: pw.Session) -> SweepResult:
    return session.sweep(
        "generate",
        prompts=["a {animal} at dusk"],
        vars={"animal": ["cat", "owl"]},
        aspect_ratio=["1:1", "16:9"],
        base_model=["nb2", "flux-2"],
        progress=False,
    )


def _labels(result: SweepResult, output_id: str) -> dict[str, str]:
    info = result.output(output_id).cell.info
    return {**info.settings, **info.vars}


def test_review_by_axis_never_pairs_differing_vars_or_settings(session: pw.Session) -> None:
    result = _sweep(session)
    panel = result.review(judge="ana", seed=1, compare="base_model")
    assert panel.pairs
    for pair in panel.pairs:
        one, two = _labels(result, pair.a.output_id), _labels(result, pair.b.output_id)
        differing = {k for k in one if one[k] != two[k]}
        assert differing == {"base_model"}, (one, two)
    both = result.review(judge="ana", seed=1, compare=["base_model", "aspect_ratio"]).pairs
    assert len(both) > len(panel.pairs)
    assert all(
        _labels(result, p.a.output_id)["animal"] == _labels(result, p.b.output_id)["animal"]
        for p in both
    )
    with pytest.raises(ValueError, match="quality is not swept here"):
        result.review(compare="quality")
    panel.close()


def test_assignment_covers_every_pair_once_plus_the_overlap(session: pw.Session) -> None:
    result = _sweep(session)
    everyone = ReviewPanel(result, judge="nobody-yet", seed=0).pairs
    keys = {pair_key(p.a.output_id, p.b.output_id) for p in everyone}
    table = result.assign(["ana", "ben", "chloe"], overlap=0.2)
    assigned = result.session.store.assignments.of_sweep(result.sweep_id)
    counts = Counter(key for pairs in assigned.values() for key in pairs)
    assert set(counts) == keys  # every pair assigned
    assert set(counts.values()) <= {1, 2}
    assert sum(1 for n in counts.values() if n == 2) == round(0.2 * len(keys))
    assert table["pairs"].sum() == len(keys) + round(0.2 * len(keys))
    assert max(table["pairs"]) - min(table["pairs"]) <= 2  # evenly split
    for name in ("ana", "ben", "chloe"):
        offered = {pair_key(p.a.output_id, p.b.output_id) for p in result.review(judge=name).pairs}
        assert offered == assigned[name]
    assert result.review(judge="dora").pairs == []  # not an annotator of this sweep
    with pytest.raises(ValueError, match="distinct, non-empty"):
        result.assign(["ana", "ana"])
    with pytest.raises(ValueError, match="overlap needs at least two"):
        result.assign(["ana"])
    result.assign(["ana"], overlap=0)  # assigning again replaces the earlier split
    assert set(result.session.store.assignments.of_sweep(result.sweep_id)) == {"ana"}
