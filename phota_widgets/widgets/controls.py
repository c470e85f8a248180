"""The controls a panel is made of: prompt box with profile picker and option dropdowns.

Each control offers only what its endpoint accepts: resolutions follow the base model, quality
shows only for the model that takes it. Image pickers are in ``picker.py``.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from phota_widgets.api.models import (
    MAX_OUTPUT_IMAGES,
    MODEL_NAMES,
    MODEL_RESOLUTIONS,
    MODELS_WITH_QUALITY,
    AspectRatio,
    ImageModel,
    OutputFormat,
    ProfileSummary,
    Quality,
)
from phota_widgets.widgets._common import forward, styled, ui_call, ui_method

if TYPE_CHECKING:
    from phota_widgets.session import Session

NO_PROFILE = ""


def _dropdown(description: str, options: Sequence[Any], value: Any, name: str) -> w.Dropdown:
    box = w.Dropdown(
        options=options,
        value=value,
        description=description,
        style={"description_width": "initial"},
        layout=w.Layout(width="auto"),
    )
    return styled(box, name)


# ------------------------------------------------------------------------------------- prompt box


class PromptBox(w.VBox):  # type: ignore[misc]
    """A prompt Textarea with a picker of the session's profiles and an insert button.

    The profile list loads on the session's loop without blocking and the picker is filled on
    the UI thread; ``insert`` appends ``[[profile_id]]`` to the prompt.

    Args:
        session: where profiles come from.
        placeholder: hint shown in the empty prompt.
    """

    def __init__(self, session: Session, placeholder: str = "Describe the image") -> None:
        self.session = session
        self.text = styled(
            w.Textarea(
                placeholder=placeholder,
                rows=3,
                layout=w.Layout(width="auto"),  # stretches to the column, margins included
            ),
            "prompt",
        )
        self.picker = _dropdown(
            "Profile", [("loading profiles…", NO_PROFILE)], NO_PROFILE, "profile-picker"
        )
        self.picker.disabled = True
        self.insert_button = styled(
            w.Button(
                description="Insert",
                tooltip="append [[profile id]] to the prompt",
                disabled=True,
                layout=w.Layout(width="auto"),
            ),
            "insert-profile",
        )
        self.refresh_button = styled(
            w.Button(
                description="↻", tooltip="reload the profile list", layout=w.Layout(width="auto")
            ),
            "refresh-profiles",
        )
        self.insert_button.on_click(lambda _: self.insert_profile())
        self.refresh_button.on_click(lambda _: self.load_profiles(refresh=True))
        self.profiles_loaded: concurrent.futures.Future[list[ProfileSummary]] | None = None
        super().__init__(
            children=[self.text, w.HBox([self.picker, self.insert_button, self.refresh_button])]
        )
        styled(self, "prompt-box")
        session.on_profiles_changed(self._profiles_changed)
        self.load_profiles()

    def load_profiles(
        self, refresh: bool = False
    ) -> concurrent.futures.Future[list[ProfileSummary]]:
        """List the session's profiles on its loop.

        Returns:
            A future done once the picker shows the list (or says it is unavailable).
        """
        listing: concurrent.futures.Future[list[ProfileSummary]]
        try:
            listing = self.session.loop.submit(self.session.aprofiles(refresh))
        except RuntimeError as exc:  # the session is closed
            listing = concurrent.futures.Future()
            listing.set_exception(exc)
        shown: concurrent.futures.Future[list[ProfileSummary]] = concurrent.futures.Future()
        self.profiles_loaded = shown
        listing.add_done_callback(lambda _: ui_call(self._fill, listing, shown))
        return shown

    def _fill(
        self,
        listing: concurrent.futures.Future[list[ProfileSummary]],
        shown: concurrent.futures.Future[list[ProfileSummary]],
    ) -> None:
        if listing.cancelled() or listing.exception() is not None:
            self.picker.options = [("profiles unavailable", NO_PROFILE)]
            self.picker.disabled = self.insert_button.disabled = True
        else:
            filled = self._set_profiles(listing.result())  # inline on the UI thread
            if (exc := filled.exception()) is not None:  # the waiter learns it, not only the log
                shown.set_exception(exc)
                return
        forward(listing, shown)

    def _profiles_changed(self, profiles: list[ProfileSummary]) -> None:
        """The session listed its profiles again (called on its loop)."""
        self._set_profiles(profiles)

    @ui_method
    def _set_profiles(self, profiles: list[ProfileSummary]) -> None:
        """Offer these profiles in the picker, keeping the current pick when it remains."""
        current = self.picker.value
        if not profiles:
            self.picker.options = [("no profiles yet", NO_PROFILE)]
            self.picker.disabled = self.insert_button.disabled = True
            return
        self.picker.options = [(_profile_label(p), p.profile_id) for p in profiles]
        ids = [p.profile_id for p in profiles]
        self.picker.value = current if current in ids else ids[0]
        self.picker.disabled = self.insert_button.disabled = False

    def insert_profile(self, profile_id: str | None = None) -> None:
        """Append ``[[profile_id]]`` (the picked one by default) to the prompt."""
        pid = profile_id or self.picker.value
        if not pid:
            return
        text = self.text.value
        sep = "" if not text or text.endswith((" ", "\n")) else " "
        self.text.value = f"{text}{sep}[[{pid}]]"


def _profile_label(profile: ProfileSummary) -> str:
    name = f"{profile.tag} ({profile.profile_id})" if profile.tag else profile.profile_id
    status = profile.status.value if profile.status is not None else None
    return f"{name} · {status.lower()}" if status and status != "READY" else name


# ---------------------------------------------------------------------------------------- options


class ImageOptions(w.HBox):  # type: ignore[misc]
    """Aspect ratio, base model, resolution and quality (edit and generate only).

    Resolution choices follow the base model; when the model changes, a resolution it does not
    support falls back to the highest one it does. Quality shows only for models that take it.
    """

    def __init__(self) -> None:
        self.aspect_ratio = _dropdown(
            "Aspect", [a.value for a in AspectRatio], AspectRatio.AUTO.value, "aspect-ratio"
        )
        self.base_model = _dropdown(
            "Model",
            [(f"{MODEL_NAMES[m]} ({m.value})", m.value) for m in ImageModel],
            ImageModel.NB2.value,
            "base-model",
        )
        self.resolution = _dropdown("Resolution", ["1K"], "1K", "resolution")
        self.quality = _dropdown(
            "Quality", [q.value for q in Quality], Quality.AUTO.value, "quality"
        )
        super().__init__(
            children=[self.aspect_ratio, self.base_model, self.resolution, self.quality],
            layout=w.Layout(flex_flow="row wrap"),
        )
        styled(self, "image-options")
        self.base_model.observe(lambda _: self._follow_model(), names="value")
        self._follow_model()

    @property
    def dropdowns(self) -> list[w.Dropdown]:
        """Every dropdown of the row."""
        return [self.aspect_ratio, self.base_model, self.resolution, self.quality]

    def _follow_model(self) -> None:
        model = ImageModel(self.base_model.value)
        allowed = [r.value for r in MODEL_RESOLUTIONS[model]]
        current = self.resolution.value
        if list(self.resolution.options) != allowed:
            self.resolution.options = allowed  # resets the value to the first option
        self.resolution.value = current if current in allowed else allowed[-1]
        takes_quality = model in MODELS_WITH_QUALITY
        self.quality.disabled = not takes_quality
        self.quality.layout.display = None if takes_quality else "none"

    def params(self) -> dict[str, Any]:
        """The chosen options as request parameters (quality only when the model takes it)."""
        params: dict[str, Any] = {
            "aspect_ratio": self.aspect_ratio.value,
            "resolution": self.resolution.value,
            "base_model": self.base_model.value,
        }
        if not self.quality.disabled:
            params["quality"] = self.quality.value
        return params

    def set_params(self, params: Mapping[str, Any]) -> None:
        """Choose the options named in ``params`` (values the controls do not offer are skipped)."""
        _choose(self.base_model, params.get("base_model"))
        _choose(self.resolution, params.get("resolution"))
        _choose(self.aspect_ratio, params.get("aspect_ratio"))
        _choose(self.quality, params.get("quality"))


class OutputOptions(w.HBox):  # type: ignore[misc]
    """Number of outputs and output format (every endpoint)."""

    def __init__(self) -> None:
        counts = [(f"{n} image{'s' if n > 1 else ''}", n) for n in range(1, MAX_OUTPUT_IMAGES + 1)]
        self.num_outputs = _dropdown("Outputs", counts, 1, "num-outputs")
        self.output_format = _dropdown(
            "Format",
            [f.value for f in (OutputFormat.JPG, OutputFormat.PNG)],
            "jpg",
            "output-format",
        )
        super().__init__(children=[self.num_outputs, self.output_format])
        styled(self, "output-options")

    @property
    def dropdowns(self) -> list[w.Dropdown]:
        """Every dropdown of the row."""
        return [self.num_outputs, self.output_format]

    def params(self) -> dict[str, Any]:
        """The chosen options as request parameters."""
        return {
            "num_output_images": self.num_outputs.value,
            "output_format": self.output_format.value,
        }

    def set_params(self, params: Mapping[str, Any]) -> None:
        """Choose the options named in ``params``."""
        _choose(self.num_outputs, params.get("num_output_images"))
        _choose(self.output_format, params.get("output_format"))


def _choose(dropdown: w.Dropdown, value: Any) -> None:
    """Select ``value`` when the dropdown offers it (enums are compared by value)."""
    value = getattr(value, "value", value)
    if value is not None and value in [v for _, v in _pairs(dropdown)]:
        dropdown.value = value


def _pairs(dropdown: w.Dropdown) -> list[tuple[str, Any]]:
    return [(str(o), o) if not isinstance(o, tuple) else o for o in dropdown.options]
