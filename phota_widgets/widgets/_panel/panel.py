"""``CapabilityPanel``: what the Generate, Edit, Enhance and Remix panels share, put together.

The panel is built here from its parts: the image pickers, the prompt box and option rows, Run /
Cancel / Collect, the cost line, the status line, the error box and the output grid. What the
controls mean as a request is :class:`~phota_widgets.widgets._panel.inputs.PanelInputs`; how a
run starts, ticks and ends (on the UI thread, never blocking the kernel) is
:class:`~phota_widgets.widgets._panel.running.PanelRunning`; a run kept on the server is the
:class:`~phota_widgets.widgets._panel.collect.Collector`'s.
"""

from __future__ import annotations

import concurrent.futures
import threading
from typing import TYPE_CHECKING, ClassVar

import ipywidgets as w

from phota_widgets.api.results import OutputImage, Result
from phota_widgets.widgets._common import ErrorBox, StatusLine, close_tree, styled, ui_call
from phota_widgets.widgets._panel.collect import Collector
from phota_widgets.widgets._panel.running import PanelRunning
from phota_widgets.widgets.controls import ImageOptions, OutputOptions, PromptBox
from phota_widgets.widgets.grid import OutputGrid
from phota_widgets.widgets.picker import ImagePicker
from phota_widgets.widgets.restore import SettingsFromInputs

if TYPE_CHECKING:
    from phota_widgets.session import Session


class CapabilityPanel(PanelRunning, w.VBox):  # type: ignore[misc]
    """Base of the Generate, Edit, Enhance and Remix panels.

    Attributes:
        session: the Session that runs requests and records them.
        task: the current (or last) run's future, or None before the first run.
        result: the last successful Result.
        prompt: the prompt Textarea; ``prompt_box`` holds it with the profile picker.
        inputs: the image pickers by request parameter.
        run_button, cancel_button, status, error, cost, grid: the panel's parts.
        controls, results: the two columns (side by side when the window is wide enough).
        collect_button: shown while a run of this panel is kept on the server to collect.
    """

    endpoint: ClassVar[str] = ""
    title: ClassVar[str] = ""
    prompt_required: ClassVar[bool] = True
    prompt_placeholder: ClassVar[str] = "Describe the image"

    def __init__(self, session: Session) -> None:
        self.session = session
        self.task: concurrent.futures.Future[Result] | None = None
        self.result: Result | None = None
        self._settled: concurrent.futures.Future[None] | None = None
        self._lock = threading.Lock()
        self._run_count = 0
        self._progress = ""
        self.inputs: dict[str, ImagePicker] = {p.param: p for p in self._make_inputs()}
        self.restorer = SettingsFromInputs(self.inputs, self.set_params)
        self.prompt_box = PromptBox(session, placeholder=self.prompt_placeholder)
        self.prompt = self.prompt_box.text
        self.profile_picker = self.prompt_box.picker
        self.insert_button = self.prompt_box.insert_button
        self.output_options = OutputOptions()
        self.num_outputs = self.output_options.num_outputs
        self.output_format = self.output_options.output_format
        option_rows: list[ImageOptions | OutputOptions] = [
            *self._make_options(),
            self.output_options,
        ]
        self._rows = option_rows
        self._defaults = [(d, d.value) for row in option_rows for d in row.dropdowns]
        self.run_button = styled(
            w.Button(
                description="Run",
                button_style="primary",
                icon="play",
                layout=w.Layout(width="auto"),
            ),
            "run",
        )
        self.cancel_button = styled(
            w.Button(
                description="Cancel", icon="stop", disabled=True, layout=w.Layout(width="auto")
            ),
            "cancel",
        )
        self.collector = Collector(self)
        self.collect_button = self.collector.button
        self.cost = styled(w.HTML(), "cost")
        self.status = StatusLine()
        self.error = ErrorBox()
        self.grid = OutputGrid(
            session,
            before=self._before_image if self.inputs else None,
            default_folder=session.output_dir / "exports",
        )
        self.run_button.on_click(lambda _: self._on_run_click())
        self.cancel_button.on_click(lambda _: self.cancel())
        self.controls = styled(
            w.VBox(
                [
                    *self.inputs.values(),
                    self.prompt_box,
                    *option_rows,
                    w.HBox(
                        [self.run_button, self.cancel_button, self.collect_button, self.cost],
                        layout=w.Layout(flex_flow="row wrap", align_items="center"),
                    ),
                ],
                layout=w.Layout(flex="1 1 380px", max_width="620px", min_width="0"),
            ),
            "panel-controls",
        )
        self.results = styled(
            w.VBox(
                [self.status, self.error, self.grid],
                layout=w.Layout(flex="2 1 420px", min_width="0", padding="0 0 0 8px"),
            ),
            "panel-results",
        )
        super().__init__(
            children=[
                w.HBox(
                    [self.controls, self.results],
                    layout=w.Layout(flex_flow="row wrap", align_items="flex-start", width="100%"),
                )
            ],
            layout=w.Layout(width="100%"),
        )
        styled(self, "panel")
        styled(self, f"{self.endpoint}-panel")
        self.prompt.observe(lambda _: self.update_cost(), names="value")
        for row in option_rows:
            for dropdown in row.dropdowns:
                dropdown.observe(lambda _: self.update_cost(), names="value")
        self.update_cost()

    # -- what subclasses add ---------------------------------------------------------------------

    def _make_inputs(self) -> list[ImagePicker]:
        """The image pickers this endpoint needs (none by default)."""
        return []

    def _make_options(self) -> list[ImageOptions]:
        """Option rows beyond outputs and format (none by default)."""
        return []

    def _picker(self, param: str, title: str, max_items: int = 1) -> ImagePicker:
        return ImagePicker(param, title, max_items=max_items, on_change=self._inputs_changed)

    def _inputs_changed(self) -> None:
        """A chosen image that carries its settings fills the controls; the cost follows."""
        if hasattr(self, "restorer"):  # pickers render once while the panel is being built
            self.restorer.check()
        self.update_cost()

    # -- showing ---------------------------------------------------------------------------------

    @property
    def selected(self) -> list[OutputImage]:
        """The selected output images of the grid."""
        return self.grid.selected

    def close(self) -> None:
        """Cancel a run under way and close the panel with every widget inside it."""
        self.cancel()
        close_tree(self, super().close)

    def show_result(self, result: Result) -> concurrent.futures.Future[None]:
        """Show a result (e.g. one re-opened from the history) with the run that made it.

        The grid, the prompt and settings, the status and the error box then all describe
        this run: its recorded parameters fill the controls (inputs no longer in the store
        are left empty, and the status says so).

        Returns:
            The future of the showing (on the UI thread): failed when the result cannot be
            shown (e.g. a damaged image); the panel is then left as it was.
        """
        return ui_call(self._show_run, result)

    def _show_run(self, result: Result) -> None:
        self.grid.show_result(result).result()  # inline on the UI thread: a failure raises
        self.result = result
        missing = self._fill_from_run(result.run_id) if result.run_id else ""
        self.error.clear()
        when = f"run {result.run_id}" if result.run_id else "a result"
        self.status.stop(f"{self.endpoint}: showing {when} from History{missing}")


class SizedPanel(CapabilityPanel):
    """A panel whose endpoint also takes aspect ratio, resolution, base model and quality."""

    image_options: ImageOptions

    def _make_options(self) -> list[ImageOptions]:
        self.image_options = ImageOptions()
        return [self.image_options]

    @property
    def aspect_ratio(self) -> w.Dropdown:
        """The aspect ratio dropdown."""
        return self.image_options.aspect_ratio

    @property
    def resolution(self) -> w.Dropdown:
        """The resolution dropdown (its options follow the base model)."""
        return self.image_options.resolution

    @property
    def base_model(self) -> w.Dropdown:
        """The base model dropdown."""
        return self.image_options.base_model

    @property
    def quality(self) -> w.Dropdown:
        """The quality dropdown (enabled and shown only for gpt-image-2)."""
        return self.image_options.quality
