"""A capability panel's controls as a request: read them, fill them, price them.

``PanelInputs`` is the first layer of a capability panel (``PanelInputs`` <- ``PanelRunning`` <-
:class:`~phota_widgets.widgets._panel.panel.CapabilityPanel`, which builds the widgets); it turns
the pickers, the prompt and the option rows into request parameters and back (a run to do again, or
one re-opened from History), and keeps the cost line in step with them.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import ipywidgets as w

from phota_widgets.api.models import profile_tokens
from phota_widgets.widgets._common import ui_method

if TYPE_CHECKING:
    from phota_widgets.session import Session
    from phota_widgets.widgets.controls import ImageOptions, OutputOptions
    from phota_widgets.widgets.picker import ImagePicker, ImageValue
    from phota_widgets.widgets.restore import SettingsFromInputs


class PanelInputs:
    """The request a panel's controls describe, and the controls filled from a request."""

    endpoint: ClassVar[str]
    prompt_required: ClassVar[bool]
    session: Session
    inputs: dict[str, ImagePicker]
    prompt: w.Textarea
    num_outputs: w.Dropdown
    cost: w.HTML
    _rows: list[ImageOptions | OutputOptions]
    _defaults: list[tuple[w.Dropdown, Any]]
    restorer: SettingsFromInputs

    def params(self) -> dict[str, Any]:
        """The request the controls describe (images as bytes, paths or URLs)."""
        params: dict[str, Any] = {}
        for name, picker in self.inputs.items():
            if picker.value is not None:
                params[name] = picker.value
        text = self.prompt.value
        if self.prompt_required or text.strip():
            params["prompt"] = text
        for row in self._rows:
            params.update(row.params())
        return params

    def set_params(self, params: Mapping[str, Any]) -> None:
        """Fill the controls from request parameters (e.g. a run to do again).

        Images may be bytes, paths, URLs or ``sha256:`` references to the run store.
        ``profile_ids`` become ``[[id]]`` tokens in the prompt (the API merges both the same way).
        """
        if "prompt" in params or params.get("profile_ids"):
            prompt = params.get("prompt") or ""
            named = profile_tokens(prompt)
            tokens = [f"[[{i}]]" for i in params.get("profile_ids") or () if i not in named]
            self.prompt.value = " ".join([prompt, *tokens]).strip() if tokens else prompt
        for name, picker in self.inputs.items():
            if name not in params:
                continue
            values = params[name]
            values = values if isinstance(values, (list, tuple)) else [values]
            picker.clear()
            for value in values:
                picker.set(self._resolve_input(value), append=True)
            self.restorer.mark_seen()  # the panel chose these: they never overwrite the params
        for row in self._rows:
            row.set_params(params)

    def _resolve_input(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("sha256:"):
            data = self.session.input_image(value)
            if data is None:
                raise ValueError(f"input {value} is no longer in the run store")
            return data
        return value

    def set_input(
        self, image: Any, slot: str | None = None, *, append: bool = False
    ) -> concurrent.futures.Future[None]:
        """Use an image (an OutputImage, bytes, PIL image, path or URL) as an input.

        The image is taken at once; its thumbnail is made on the UI thread, which also drops
        an image that cannot be decoded and says so in the picker.

        Args:
            image: the image; an output "sent" from another panel is the usual case.
            slot: the parameter to fill (the panel's first image parameter by default).
            append: add to a multi-image input instead of replacing it.

        Returns:
            A future done once the picker shows the image (or why it was dropped).

        Raises:
            ValueError: the panel takes no images, the slot is unknown, the file is missing or
                the picker is full.
        """
        if not self.inputs:
            raise ValueError(f"{self.endpoint} takes no input images")
        name = slot or next(iter(self.inputs))
        name = {"input": "input_image", "reference": "reference_image"}.get(name, name)
        if name not in self.inputs:
            raise ValueError(
                f"{self.endpoint} has no image slot {slot!r}: {', '.join(self.inputs)}"
            )
        return self.inputs[name].set(image, append=append)

    def _before_image(self) -> ImageValue | None:
        for picker in self.inputs.values():
            local = picker.first_local()
            if local is not None:
                return local
        return None

    def estimate(self) -> float | None:
        """What the current controls would cost (None when there is no price for them)."""
        params = {k: v for k, v in self.params().items() if k not in self.inputs}
        try:
            return self.session.estimate(self.endpoint, **params)
        except (ValueError, KeyError, TypeError):
            return None

    @ui_method
    def update_cost(self) -> None:
        """Refresh the cost line from the current controls (on the UI thread)."""
        count = int(self.num_outputs.value)
        cost = self.estimate()
        noun = f"{count} image{'s' if count > 1 else ''}"
        text = f"~${cost:.2f} for {noun}" if cost is not None else f"cost unknown for {noun}"
        self.cost.value = f'<span style="color:#555">{text}</span>'

    def _fill_from_run(self, run_id: str) -> str:
        """Put a recorded run's parameters in the controls; say what could not be restored.

        Settings the run did not give go back to their defaults (what the run used).
        """
        for dropdown, value in self._defaults:
            if value in [v for _, v in _options(dropdown)]:
                dropdown.value = value
        try:
            params = self.session.rerun_params(run_id)
        except Exception:  # an input gone from the store: the rest is still shown
            params = dict(self.session.store.get(run_id).params)
            params = {k: v for k, v in params.items() if k not in self.inputs}
            for picker in self.inputs.values():
                picker.clear()
            self.set_params(params)
            return " (its input images are no longer in the run store)"
        if self.prompt_required or "prompt" in params:
            params.setdefault("prompt", "")
        self.set_params(params)
        return ""


def _options(dropdown: w.Dropdown) -> list[tuple[str, Any]]:
    return [o if isinstance(o, tuple) else (str(o), o) for o in dropdown.options]
