"""Planning: the product of the axes, labels, stable keys, skipped and refused values, speed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import phota_widgets as pw
from phota_widgets.experiments import SweepSpecError, make_plan


def test_the_product_is_complete_and_labelled() -> None:
    plan = make_plan(
        "generate",
        prompts=["a {animal} at dusk", "a {animal} at noon"],
        vars={"animal": ["cat", "owl"]},
        aspect_ratio=["1:1", "16:9"],
        base_model=["nb2", "flux-2"],
        output_format="png",
        repeats=2,
    )
    assert plan.calls == 2 * 2 * 2 * 2 * 2 and plan.images == plan.calls
    seen = {
        (
            c.info.prompt,
            c.info.settings["aspect_ratio"],
            c.info.settings["base_model"],
            c.info.repeat,
        )
        for c in plan.cells
    }
    assert len(seen) == plan.calls
    for cell in plan.cells:
        animal = cell.info.vars["animal"]
        assert cell.params["prompt"] == cell.info.template.format(animal=animal)  # type: ignore[union-attr]
        assert cell.params["aspect_ratio"] == cell.info.settings["aspect_ratio"]
        assert cell.params["output_format"] == "png"
        assert cell.info.variant == (
            f"aspect_ratio={cell.params['aspect_ratio']} · base_model={cell.params['base_model']}"
            f" · animal={animal}"
        )
    assert plan.axes == {
        "aspect_ratio": ["1:1", "16:9"],
        "base_model": ["nb2", "flux-2"],
        "animal": ["cat", "owl"],
    }
    assert plan.fixed == {"output_format": "png"}
    assert plan.cost == pytest.approx(0.09 * plan.calls)


def test_keys_are_stable_and_follow_what_is_sent() -> None:
    def plan(**extra: object) -> pw.SweepPlan:
        return make_plan("generate", prompts=["a", "b"], aspect_ratio=["1:1", "3:4"], **extra)

    first, again = plan(), plan()
    assert [c.key for c in first.cells] == [c.key for c in again.cells]
    assert first.sweep_id == again.sweep_id
    assert len({c.key for c in first.cells}) == first.calls
    other = plan(resolution="2K")
    assert not {c.key for c in other.cells} & {c.key for c in first.cells}
    twice = plan(repeats=2)
    assert {c.key for c in first.cells} < {c.key for c in twice.cells}  # repeat 0 is the same call


def test_invalid_combinations_are_skipped_and_named() -> None:
    plan = make_plan(
        "generate",
        prompts=["a lighthouse"],
        base_model=["nb2", "reve", "gpt-image-2"],
        resolution=["1K", "4K"],
        quality=[None, "high"],
    )
    sent = {
        (c.params["base_model"], c.params["resolution"], c.params.get("quality"))
        for c in plan.cells
    }
    assert ("reve", "4K", None) not in sent and ("nb2", "1K", "high") not in sent
    assert ("gpt-image-2", "4K", "high") in sent and ("nb2", "4K", None) in sent
    assert len(sent) == plan.calls == 2 + 1 + 4
    reasons = [str(s) for s in plan.skipped]
    assert any("base_model=reve · resolution=4K" in r and "not available" in r for r in reasons)
    assert any("quality=high" in r and "gpt-image-2" in r for r in reasons)
    assert sum(s.cells for s in plan.skipped) == 12 - plan.calls
    assert "reve" in repr(plan) and "Skipped" in plan._repr_html_()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"aspect_ratio": ["1:1", "7:3"]}, "aspect_ratio=7:3"),
        ({"prompts": ["fine", "  "]}, "prompt 2 is empty"),
        ({"num_output_images": [1, 9]}, "num_output_images=9"),
        ({"base_model": "dall-e"}, "base_model=dall-e"),
        ({"prompts": ["a {colour} door"], "vars": {"animal": ["x"]}}, "{colour}"),
        ({"prompts": ["a door"], "vars": {"animal": ["x"]}}, "'animal' is used by no prompt"),
        ({"seed": [1, 2]}, "no parameter 'seed'"),
        ({"profile_ids": [["p1"]]}, "generate does not take profile_ids"),
        ({"aspect_ratio": ["1:1", "1:1"]}, "lists 1:1 twice"),
        ({"repeats": 0}, "repeats"),
        ({"images": ["x.jpg"]}, "generate takes no input images"),
    ],
)
def test_never_valid_values_are_errors_naming_them(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"prompts": ["a door"], **kwargs}
    with pytest.raises(SweepSpecError) as info:
        make_plan("generate", **args)  # type: ignore[arg-type]
    assert message in str(info.value)
    assert isinstance(info.value, pw.InvalidRequestError)


def test_inputs_are_an_axis_for_edit_enhance_and_remix(data_dir: Path) -> None:
    cat, rocket, coffee = (data_dir / n for n in ("chelsea.jpg", "rocket.jpg", "coffee.jpg"))
    edit = make_plan("edit", prompts=["warmer", "cooler"], images=[cat, [rocket, coffee]])
    assert edit.calls == 4
    assert {len(c.params["images"]) for c in edit.cells} == {1, 2}
    assert {c.info.input for c in edit.cells} == {
        edit.cells[0].info.input,
        edit.cells[1].info.input,
    } and "+" in (edit.cells[1].info.input or "")
    enhance = make_plan("enhance", images=[cat, rocket])
    assert enhance.calls == 2 and all(c.params["image"].sha256 for c in enhance.cells)
    remix = make_plan("remix", images=[cat, rocket], reference_image=[coffee, rocket])
    assert remix.calls == 4 and remix.axes["reference_image"]
    assert all("reference_image=" in c.info.variant for c in remix.cells)
    fixed_ref = make_plan("remix", images=[cat], reference_image=coffee)
    assert "reference_image" in fixed_ref.fixed and fixed_ref.calls == 1
    with pytest.raises(SweepSpecError, match="remix needs reference_image"):
        make_plan("remix", images=[cat])
    with pytest.raises(SweepSpecError, match="images\\[1\\]"):
        make_plan("enhance", images=[cat, data_dir / "missing.jpg"])
    with pytest.raises(SweepSpecError, match="edit takes 1 to 10 images, got 11"):
        make_plan("edit", prompts=["x"], images=[[cat] * 11])
    with pytest.raises(SweepSpecError, match="enhance takes one image per input"):
        make_plan("enhance", images=[[cat, rocket]])


def test_budget_is_refused_with_estimate_and_budget_named() -> None:
    plan = make_plan("generate", prompts=["a", "b"], resolution=["1K", "4K"])
    assert plan.cost == pytest.approx(2 * (0.09 + 0.18))
    plan.check_budget(0.54)
    with pytest.raises(pw.BudgetExceededError) as info:
        plan.check_budget(0.5)
    assert "$0.54" in str(info.value) and "$0.50" in str(info.value)
    assert info.value.estimate == pytest.approx(0.54) and info.value.budget == 0.5
    assert isinstance(info.value, pw.PhotaError)


def test_ten_thousand_cells_are_planned_correctly_and_fast() -> None:
    prompts = [f"a {{animal}} in scene {i}" for i in range(100)]
    started = time.perf_counter()
    plan = make_plan(
        "generate",
        prompts=prompts,
        vars={"animal": ["cat", "owl", "fox", "hare", "wren"]},
        aspect_ratio=["1:1", "16:9", "9:16", "4:3"],
        base_model=["nb2", "flux-2", "reve", "qwen-image-2", "gpt-image-2"],
        repeats=1,
    )
    elapsed = time.perf_counter() - started
    assert plan.calls == 100 * 5 * 4 * 5 == 10_000
    assert len({c.key for c in plan.cells}) == 10_000
    assert [c.info.position for c in plan.cells] == list(range(10_000))
    assert plan.cost == pytest.approx(900.0)
    # generous bound for a busy shared machine; the benchmark figure is ~0.1 s
    assert elapsed < 5.0
