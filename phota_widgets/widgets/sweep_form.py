"""The form of the Experiments tab: prompts, vars, inputs and a multi-select per setting.

Each multi-select offers only values the endpoint accepts: resolutions follow the chosen base
models (a resolution no chosen model has is not offered), quality shows only when a model that
takes it is chosen, and a setting the endpoint does not take is hidden. One value chosen makes a
fixed setting, several make an axis of the sweep.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import ipywidgets as w
import yaml

from phota_widgets.api.models import (
    MAX_OUTPUT_IMAGES,
    MODEL_NAMES,
    MODEL_RESOLUTIONS,
    MODELS_WITH_QUALITY,
    REQUEST_MODELS,
    AspectRatio,
    ImageModel,
    Quality,
)
from phota_widgets.api.prices import DEFAULT_CONFIRM_ABOVE
from phota_widgets.widgets._common import styled, ui_call
from phota_widgets.widgets.picker import ImagePicker

ENDPOINT_CHOICES = ("generate", "edit", "enhance", "remix")
MAX_INPUTS = 8
"""Input images the form holds (each is one value of the input axis)."""
MAX_REPEATS = 50
"""Repeats the form takes (a larger number typed is capped, and the form says so)."""
_DEFAULTS: dict[str, Any] = {
    "aspect_ratio": AspectRatio.AUTO.value,
    "base_model": ImageModel.NB2.value,
    "resolution": "1K",
    "quality": Quality.AUTO.value,
    "num_output_images": 1,
    "output_format": "jpg",
}


class SweepForm(w.VBox):  # type: ignore[misc]
    """What a sweep varies, as controls; :meth:`sweep_kwargs` is the call they describe.

    Args:
        on_change: called after any control changes (the panel re-plans).
    """

    def __init__(self, on_change: Callable[[], object] | None = None) -> None:
        self._on_change = on_change
        self.endpoint = styled(
            w.Dropdown(options=ENDPOINT_CHOICES, value="generate", description="Endpoint"),
            "sweep-endpoint",
        )
        self.prompts = styled(
            w.Textarea(
                placeholder="one prompt per line; {name} is filled from the vars below",
                rows=4,
                layout=w.Layout(width="auto"),  # 100% plus margins would overflow the tab
            ),
            "sweep-prompts",
        )
        self.vars = styled(
            w.Textarea(
                placeholder="vars, one per line: name: value, value, value",
                rows=2,
                layout=w.Layout(width="auto"),  # 100% plus margins would overflow the tab
            ),
            "sweep-vars",
        )
        self.checks = styled(
            w.Text(
                placeholder="checks (optional): aspect_ratio, max_cost: 0.1, sharpness: {min: 50}",
                layout=w.Layout(width="auto"),
            ),
            "sweep-checks",
        )
        self.inputs = ImagePicker(
            "images", "Inputs (each one a row)", max_items=MAX_INPUTS, on_change=self._changed
        )
        self.references = ImagePicker(
            "reference_image", "Style references", max_items=MAX_INPUTS, on_change=self._changed
        )
        self.selects: dict[str, w.SelectMultiple] = {
            "aspect_ratio": _select("Aspect", [a.value for a in AspectRatio]),
            "base_model": _select(
                "Model", [(f"{MODEL_NAMES[m]} ({m.value})", m.value) for m in ImageModel]
            ),
            "resolution": _select("Resolution", ["1K"]),
            "quality": _select("Quality", [q.value for q in Quality]),
            "num_output_images": _select("Outputs", list(range(1, MAX_OUTPUT_IMAGES + 1))),
            "output_format": _select("Format", ["jpg", "png"]),
        }
        for name, box in self.selects.items():
            styled(box, f"sweep-{name.replace('_', '-')}")
            box.value = (_DEFAULTS[name],)
        self.repeats = styled(
            w.IntText(value=1, description="Repeats", layout=w.Layout(width="11em")),
            "sweep-repeats",
        )
        self.budget = styled(
            w.Text(
                value="", placeholder="no limit", description="Budget $",
                tooltip="refuse a sweep whose estimate is higher (empty: no limit)",
                layout=w.Layout(width="13em"),
            ),
            "sweep-budget",
        )  # fmt: skip
        self.confirm_above = styled(
            w.FloatText(
                value=DEFAULT_CONFIRM_ABOVE, step=1.0, description="Ask above $",
                tooltip="with a Phota key, a sweep that may cost more asks before sending",
                style={"description_width": "initial"}, layout=w.Layout(width="12em"),
            ),
            "sweep-confirm-above",
        )  # fmt: skip
        self.limits = styled(w.HTML(), "sweep-limits")
        self._capped: dict[str, str] = {}
        self.hint = styled(
            w.HTML(
                '<small style="color:#555">Ctrl-click (⌘-click on a Mac) to choose several '
                "values of a setting: one value is a fixed setting, several are an axis.</small>"
            ),
            "sweep-hint",
        )
        settings = w.HBox(list(self.selects.values()), layout=w.Layout(flex_flow="row wrap"))
        super().__init__(
            children=[
                self.endpoint,
                self.prompts,
                self.vars,
                self.inputs,
                self.references,
                self.hint,
                settings,
                w.HBox(
                    [self.repeats, self.budget, self.confirm_above],
                    layout=w.Layout(flex_flow="row wrap"),
                ),
                self.limits,
                self.checks,
            ]
        )
        styled(self, "sweep-form")
        self._follow()
        controls = (self.endpoint, self.prompts, self.vars, self.repeats, self.budget, self.checks)
        for control in (*controls, self.confirm_above):
            control.observe(lambda _: self._changed(), names="value")
        for box in self.selects.values():
            box.observe(lambda _: self._changed(), names="value")

    def _changed(self) -> None:
        """A control changed (on the kernel thread): follow it and re-plan on the UI thread."""
        ui_call(self._follow_and_tell)

    def _follow_and_tell(self) -> None:
        self._follow()
        if self._on_change is not None:
            self._on_change()

    def _follow(self) -> None:
        """Offer only valid values: settings of this endpoint, resolutions of chosen models;
        cap what is out of range and say so; label the budget."""
        self._cap("repeats", self.repeats, 1, MAX_REPEATS, "Repeats")
        self._cap("confirm_above", self.confirm_above, 0.0, None, "Ask above $")
        self.limits.value = self._limits_html()
        fields = REQUEST_MODELS[self.endpoint.value].model_fields
        models = [ImageModel(v) for v in self.selects["base_model"].value]
        resolutions = sorted({r.value for m in models for r in MODEL_RESOLUTIONS[m]}) or ["1K"]
        box = self.selects["resolution"]
        if list(box.options) != resolutions:
            kept = tuple(v for v in box.value if v in resolutions) or (resolutions[0],)
            box.options = resolutions
            box.rows = len(resolutions)
            box.value = kept
        takes_quality = any(m in MODELS_WITH_QUALITY for m in models)
        for name, select in self.selects.items():
            shown = name in fields and (name != "quality" or takes_quality)
            select.layout.display = None if shown else "none"
        endpoint = self.endpoint.value
        self.inputs.layout.display = None if endpoint != "generate" else "none"
        self.references.layout.display = None if endpoint == "remix" else "none"

    def sweep_kwargs(self) -> dict[str, Any]:
        """The arguments of ``session.sweep`` (without ``max_cost``) the controls describe."""
        endpoint = self.endpoint.value
        fields = REQUEST_MODELS[endpoint].model_fields
        prompts = [line.strip() for line in self.prompts.value.splitlines() if line.strip()]
        kwargs: dict[str, Any] = {"endpoint": endpoint, "repeats": int(self.repeats.value)}
        if prompts:
            kwargs["prompts"] = prompts
        parsed = parse_vars(self.vars.value)
        if parsed:
            kwargs["vars"] = parsed
        if endpoint != "generate":
            images = self.inputs.value
            values = images if isinstance(images, list) else ([images] if images else [])
            if values:
                kwargs["images"] = [[v] for v in values] if endpoint == "edit" else values
        if endpoint == "remix":
            refs = self.references.value
            refs = refs if isinstance(refs, list) else ([refs] if refs else [])
            if refs:
                kwargs["reference_image"] = refs
        models = [ImageModel(v) for v in self.selects["base_model"].value]
        for name, select in self.selects.items():
            if name not in fields or not select.value:
                continue
            if name == "quality" and not any(m in MODELS_WITH_QUALITY for m in models):
                continue
            values = list(select.value)
            kwargs[name] = values if len(values) > 1 else values[0]
        checks = parse_checks(self.checks.value)
        if checks:
            kwargs["checks"] = checks
        return kwargs

    def _cap(
        self, name: str, control: w.Widget, low: float, high: float | None, label: str
    ) -> None:
        """Bring a control's value into range and remember the note (on the UI thread)."""
        value = control.value
        if value < low:
            control.value = low
            self._capped[name] = f"{label} {_num(value)} is below {_num(low)}: set to {_num(low)}."
        elif high is not None and value > high:
            control.value = high
            self._capped[name] = (
                f"{label} {_num(value)} is over {_num(high)}: capped at {_num(high)}."
            )
        elif value not in (low, high):
            self._capped.pop(name, None)  # a value typed in range: the old note goes

    def _limits_html(self) -> str:
        """What the budget and the spending guard mean now, and every value capped."""
        budget_error = self.budget_error
        if budget_error:
            budget = f'<span style="color:#b00020">{escape(budget_error)}</span>'
        elif self.max_cost is None:
            budget = "Budget: <b>no limit</b>"
        else:
            budget = f"Budget: a sweep estimated over <b>${self.max_cost:.2f}</b> is refused"
        ask = self.confirm_above.value
        guard = f"with a Phota key, a sweep over ${ask:.2f} asks before sending"
        notes = "".join(
            f'<br/><span style="color:#8a5a00">{escape(n)}</span>' for n in self._capped.values()
        )
        return f'<small style="color:#555">{budget} · {guard}.{notes}</small>'

    @property
    def budget_error(self) -> str | None:
        """Why the budget box cannot be read (None when it can)."""
        try:
            _budget(self.budget.value)
        except ValueError as exc:
            return str(exc)
        return None

    @property
    def max_cost(self) -> float | None:
        """The budget in US dollars (None when empty or unreadable: see :attr:`budget_error`)."""
        try:
            return _budget(self.budget.value)
        except ValueError:
            return None

    @property
    def confirm_threshold(self) -> float:
        """US dollars above which a sweep on the real API asks before sending."""
        return max(0.0, float(self.confirm_above.value))


def _budget(text: str) -> float | None:
    """The budget box's text as dollars: empty is no limit.

    Raises:
        ValueError: not an amount, or negative (said for a person).
    """
    cleaned = text.strip().lstrip("$").replace(",", "").strip()
    if not cleaned:
        return None
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(
            f"Budget {text.strip()!r} is not an amount: write dollars such as 5 or 12.50, "
            "or leave it empty for no limit."
        ) from None
    if value < 0 or value != value:
        raise ValueError(f"Budget {text.strip()!r} is below zero: write 0 or more.")
    return value


def _num(value: float) -> str:
    """A number as typed: no ``.0`` on whole numbers."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def parse_checks(text: str) -> list[Any]:
    """``aspect_ratio, max_cost: 0.1, sharpness: {min: 50}`` as the checks of a sweep (the
    experiment file's ``checks:`` list, written on one line).

    Raises:
        ValueError: text that is not such a list.
    """
    if not text.strip():
        return []
    try:
        found = yaml.safe_load(f"[{text}]")
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "not a list"
        raise ValueError(f"checks: {problem} (write e.g. aspect_ratio, max_cost: 0.1)") from None
    return list(found)


def parse_vars(text: str) -> dict[str, list[str]]:
    """``name: a, b`` lines as ``{"name": ["a", "b"]}``.

    Raises:
        ValueError: a line without ``name:`` or without values, naming the line.
    """
    found: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, rest = line.partition(":")
        values = [v.strip() for v in rest.split(",") if v.strip()]
        if not sep or not name.strip().isidentifier() or not values:
            raise ValueError(
                f"vars line {number} ({line.strip()!r}): write it as 'name: value, value'"
            )
        found[name.strip()] = values
    return found


def _select(description: str, options: list[Any]) -> w.SelectMultiple:
    return w.SelectMultiple(
        options=options,
        description=description,
        rows=len(options),  # every value in view: a hidden one (16:9) is never found
        style={"description_width": "initial"},
        layout=w.Layout(width="auto"),
    )
