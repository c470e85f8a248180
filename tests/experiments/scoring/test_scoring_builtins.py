"""Every built-in check and metric on hand-made images with known answers (no server)."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFilter

from phota_widgets.experiments.scoring import (
    CheckSpecError,
    Score,
    ScoredOutput,
    resolve_checks,
    wilson,
)
from phota_widgets.experiments.scoring.engine import run_scorer
from phota_widgets.experiments.scoring.rubric import parse_answer


def _save(img: Image.Image, path: Path) -> Path:
    img.save(path, format="PNG")
    return path


def _output(path: Path, **fields: object) -> ScoredOutput:
    with Image.open(path) as img:
        width, height = img.size
    values: dict[str, object] = {
        "output_id": f"run{path.stem}:0",
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "path": path,
        "width": width,
        "height": height,
    }
    values.update(fields)
    return ScoredOutput(**values)  # type: ignore[arg-type]


def _one(spec: object) -> object:
    [scorer] = resolve_checks([spec])  # type: ignore[list-item]
    return scorer


def _score(spec: object, output: ScoredOutput) -> Score:
    return _one(spec).score(output)  # type: ignore[attr-defined,no-any-return]


def _checker(size: tuple[int, int], cell: int = 8) -> Image.Image:
    img = Image.new("RGB", size, (0, 0, 0))
    draw = ImageDraw.Draw(img)
    for y in range(0, size[1], cell):
        for x in range(0, size[0], cell):
            if (x // cell + y // cell) % 2 == 0:
                draw.rectangle([x, y, x + cell - 1, y + cell - 1], fill=(255, 255, 255))
    return img


def test_aspect_ratio_passes_the_asked_ratio_and_fails_another(tmp_path: Path) -> None:
    wide = _save(Image.new("RGB", (1600, 900), "grey"), tmp_path / "wide.png")
    asked_wide = _score("aspect_ratio", _output(wide, settings={"aspect_ratio": "16:9"}))
    asked_square = _score("aspect_ratio", _output(wide, settings={"aspect_ratio": "1:1"}))
    assert asked_wide.passed is True and asked_wide.value == pytest.approx(16 / 9)
    assert asked_square.passed is False and "1:1" in asked_square.detail
    assert _score("aspect_ratio", _output(wide, settings={"aspect_ratio": "auto"})).passed is None
    # 1% tolerance: 1024x580 is 0.7% off 16:9 (passes), 1024x600 is 5% off (fails)
    near = _save(Image.new("RGB", (1024, 580)), tmp_path / "near.png")
    far = _save(Image.new("RGB", (1024, 600)), tmp_path / "far.png")
    assert _score("aspect_ratio", _output(near, settings={"aspect_ratio": "16:9"})).passed
    assert not _score("aspect_ratio", _output(far, settings={"aspect_ratio": "16:9"})).passed


def test_resolution_compares_the_long_side(tmp_path: Path) -> None:
    path = _save(Image.new("RGB", (576, 1024)), tmp_path / "tall.png")
    assert _score("resolution", _output(path, settings={"resolution": "1K"})).passed is True
    twok = _score("resolution", _output(path, settings={"resolution": "2K"}))
    assert twok.passed is False and twok.value == 1024


def test_count_max_cost_max_latency(tmp_path: Path) -> None:
    path = _save(Image.new("RGB", (64, 64)), tmp_path / "a.png")
    two = {"num_output_images": 2}
    assert _score("count", _output(path, settings=two, images_returned=2)).passed is True
    assert _score("count", _output(path, settings=two, images_returned=1)).passed is False
    assert _score("count", _output(path, images_returned=1)).passed is True  # default 1
    assert _score({"max_cost": 0.1}, _output(path, cost=0.09)).passed is True
    assert _score({"max_cost": 0.05}, _output(path, cost=0.09)).passed is False
    assert _score({"max_cost": 0.05}, _output(path, cost=None)).passed is None
    assert _score({"max_latency": 10}, _output(path, latency=3.0)).passed is True
    slow = _score({"max_latency": 2}, _output(path, latency=3.0))
    assert slow.passed is False and slow.value == 3.0


def test_profile_present_counts_each_named_profile(tmp_path: Path) -> None:
    path = _save(Image.new("RGB", (64, 64)), tmp_path / "a.png")
    prompt = "[[ana]] and [[ben]] at the beach"
    half = _score("profile_present", _output(path, prompt=prompt, known_subjects={"ana": 1}))
    assert half.passed is False and half.value == 0.5 and "[[ben]]" in half.detail
    both = _output(path, prompt=prompt, known_subjects={"ana": 1, "ben": 2})
    assert _score("profile_present", both).passed is True
    assert _score("profile_present", _output(path, prompt="a cat")).passed is None


def test_changed_fraction_keeps_a_local_edit_local(tmp_path: Path) -> None:
    before = Image.new("RGB", (200, 200), (90, 120, 150))
    local = before.copy()
    ImageDraw.Draw(local).rectangle([0, 0, 49, 99], fill=(250, 250, 0))  # 1/8 of the picture
    everywhere = Image.new("RGB", (200, 200), (250, 10, 10))
    src = _save(before, tmp_path / "in.png")
    small = _output(_save(local, tmp_path / "local.png"), input_paths=[src])
    big = _output(_save(everywhere, tmp_path / "all.png"), input_paths=[src])
    scored = _score({"changed_fraction": {"max": 0.3}}, small)
    assert scored.passed is True and scored.value == pytest.approx(0.125, abs=0.03)
    assert _score({"changed_fraction": {"max": 0.3}}, big).passed is False
    assert _score({"changed_fraction": {"min": 0.05}}, small).passed is True
    no_input = _score({"changed_fraction": {"max": 0.3}}, _output(src))
    assert no_input.passed is None


def test_a_blurred_copy_scores_lower_sharpness(tmp_path: Path) -> None:
    crisp = _checker((400, 300))
    crisp_out = _output(_save(crisp, tmp_path / "crisp.png"))
    blurred = _save(crisp.filter(ImageFilter.GaussianBlur(3)), tmp_path / "blur.png")
    blur_out = _output(blurred)
    high = _score("sharpness", crisp_out).value
    low = _score("sharpness", blur_out).value
    assert high is not None and low is not None and low < high / 10
    flat = _output(_save(Image.new("RGB", (100, 100), "grey"), tmp_path / "flat.png"))
    assert _score("sharpness", flat).value == 0.0
    assert _score({"sharpness": 100}, blur_out).passed is False
    assert _score({"sharpness": 100}, crisp_out).passed is True


def test_exposure_counts_clipped_pixels(tmp_path: Path) -> None:
    clipped = Image.new("RGB", (100, 100), (0, 0, 0))
    ImageDraw.Draw(clipped).rectangle([0, 0, 99, 49], fill=(255, 255, 255))
    scored = _score("exposure", _output(_save(clipped, tmp_path / "clip.png")))
    assert scored.value == pytest.approx(1.0) and scored.passed is False
    assert "50.0% shadows, 50.0% highlights" in scored.detail
    grey = _score(
        "exposure", _output(_save(Image.new("RGB", (100, 100), (128,) * 3), tmp_path / "g.png"))
    )
    assert grey.value == 0.0 and grey.passed is True
    quarter = Image.new("RGB", (100, 100), (128, 128, 128))
    ImageDraw.Draw(quarter).rectangle([0, 0, 99, 24], fill=(0, 0, 0))
    path = _save(quarter, tmp_path / "q.png")
    assert _score({"exposure": 0.3}, _output(path)).passed is True
    assert _score({"exposure": 0.2}, _output(path)).passed is False


def test_colourfulness_follows_hasler_suesstrunk(tmp_path: Path) -> None:
    grey = _output(_save(Image.new("RGB", (200, 100), (120, 120, 120)), tmp_path / "grey.png"))
    assert _score("colourfulness", grey).value == pytest.approx(0.0, abs=1e-6)
    halves = Image.new("RGB", (200, 100), (255, 0, 0))
    ImageDraw.Draw(halves).rectangle([100, 0, 199, 99], fill=(0, 0, 255))
    # red: rg 255, yb 127.5; blue: rg 0, yb -255 (worked by hand):
    # sqrt(127.5^2 + 191.25^2) + 0.3 sqrt(127.5^2 + 63.75^2) = 229.85 + 42.77
    value = _score("colourfulness", _output(_save(halves, tmp_path / "rb.png"))).value
    assert value == pytest.approx(272.62, abs=0.05)
    expected = math.sqrt(127.5**2 + 191.25**2) + 0.3 * math.sqrt(127.5**2 + 63.75**2)
    assert value == pytest.approx(expected, rel=1e-4)


def test_two_identical_outputs_fail_distinct(tmp_path: Path) -> None:
    a = _save(_checker((256, 256), 32), tmp_path / "a.png")
    other = Image.new("RGB", (256, 256), "white")
    ImageDraw.Draw(other).ellipse([40, 40, 200, 220], fill="black")
    b = _save(other, tmp_path / "b.png")
    sha_a, sha_b = (hashlib.sha256(p.read_bytes()).hexdigest() for p in (a, b))
    same = [("r1:0", sha_a, a), ("r2:0", sha_a, a)]
    twin = _score("distinct", _output(a, output_id="r1:0", group=same))
    assert twin.passed is False and twin.value == 0.0 and "near-duplicate" in twin.detail
    apart = [("r1:0", sha_a, a), ("r2:0", sha_b, b)]
    assert _score("distinct", _output(a, output_id="r1:0", group=apart)).passed is True
    alone = _score("distinct", _output(a, output_id="r1:0", group=[("r1:0", sha_a, a)]))
    assert alone.passed is None


def test_a_function_is_a_scorer(tmp_path: Path) -> None:
    path = _save(Image.new("RGB", (300, 100)), tmp_path / "w.png")

    def wide(output: ScoredOutput) -> bool:
        return output.width > output.height

    def area(output: ScoredOutput) -> float:
        return output.width * output.height

    def broken(output: ScoredOutput) -> bool:
        raise RuntimeError("no luck")

    out = _output(path)
    assert _score(wide, out) == Score(passed=True)
    assert _score(area, out).value == 30000.0
    failed = run_scorer(_one(broken), out)  # type: ignore[arg-type]
    assert failed.passed is False and failed.error and "no luck" in failed.detail


@pytest.mark.parametrize(
    ("checks", "words"),
    [
        (["sharpnes"], "unknown check 'sharpnes'"),
        ([{"max_cost": -1}], "max_cost: the limit must be 0 or more"),
        ([{"sharpness": {"minimum": 3}}], "unknown parameter 'minimum'"),
        ([{"max_cost": {}}], "missing parameter"),
        (["count", "count"], "a second check named 'count'"),
        ([{"count": 1, "sharpness": 2}], "one check per item"),
        ([{"changed_fraction": {"min": 0.5, "max": 0.1}}], "min 0.5 is above max 0.1"),
        ([3], "a check is a name, a mapping or a function"),
    ],
)
def test_bad_checks_are_refused_in_words(checks: list[object], words: str) -> None:
    with pytest.raises(CheckSpecError, match=words.replace("(", r"\(").replace(")", r"\)")):
        resolve_checks(checks)  # type: ignore[arg-type]


def test_named_checks_can_repeat_a_kind() -> None:
    scorers = resolve_checks(
        [{"sharpness": {"min": 10}}, {"sharpness": {"min": 50, "name": "very_sharp"}}]
    )
    assert [s.name for s in scorers] == ["sharpness", "very_sharp"]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ('{"score": 0.8, "reason": "an owl at dusk"}', (0.8, "an owl at dusk")),
        ('```json\n{"score": 1, "reason": "yes"}\n```', (1.0, "yes")),
        (
            'Sure! Here it is: {"score": 0.25, "reason": "daylight"} Hope it helps.',
            (0.25, "daylight"),
        ),
        ("score: 0.6", (0.6, "")),
        ('{"score": 7, "reason": "out of ten"}', None),
        ("I cannot grade this image.", None),
        ('{"score": "high"}', None),
    ],
)
def test_model_answers_are_read_leniently(answer: str, expected: object) -> None:
    assert parse_answer(answer) == expected


def test_wilson_interval_known_values() -> None:
    low, high = wilson(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == pytest.approx(1.0)
    assert all(math.isnan(v) for v in wilson(0, 0))
