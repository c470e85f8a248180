"""What every capability panel shares: controls, Run/Cancel, status, errors, cost and the grid.

A Run click hands the request to ``session.submit_run`` (the session's background loop) and
returns at once. Every write to the panel's widgets after it is built runs on the one UI thread
(``_common.ui_executor()``): the start of a run, the elapsed-time ticks, the cost line, and at the
end the thumbnails, result, status and error. The kernel never blocks; no widget has two writers.

A run the server took but the panel could not finish (a dropped connection, or a cancel once the
job was accepted) is kept in the run store; the panel says so and offers Collect, which fetches
it (``session.aresume()``) without paying twice.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import ipywidgets as w

from phota_widgets.api.errors import InvalidRequestError, NotSentError
from phota_widgets.api.models import profile_tokens
from phota_widgets.api.results import OutputImage, Result
from phota_widgets.widgets._common import (
    ErrorBox,
    StatusLine,
    close_tree,
    styled,
    ui_call,
    ui_method,
)
from phota_widgets.widgets._panel.collect import KEPT_TEXT, Collector, is_transient
from phota_widgets.widgets.controls import ImageOptions, OutputOptions, PromptBox
from phota_widgets.widgets.grid import OutputGrid
from phota_widgets.widgets.picker import ImagePicker, ImageValue
from phota_widgets.widgets.restore import SettingsFromInputs

if TYPE_CHECKING:
    from phota_widgets.session import Session

TICK_SECONDS = 0.5
"""How often the status line's elapsed time is refreshed while a run is under way."""


class CapabilityPanel(w.VBox):  # type: ignore[misc]
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

    # -- parameters ------------------------------------------------------------------------------

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

    # -- running ---------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether a run is under way (Run is refused meanwhile)."""
        return self._settled is not None and not self._settled.done()

    @property
    def selected(self) -> list[OutputImage]:
        """The selected output images of the grid."""
        return self.grid.selected

    def start(self) -> concurrent.futures.Future[Result]:
        """Start a run on the session's loop and return its future at once.

        Raises:
            RuntimeError: a run is already under way.
        """
        with self._lock:
            if self.running:
                raise RuntimeError(f"{self.endpoint} is already running: cancel it or wait")
            self._run_count += 1
            number = self._run_count
            settled: concurrent.futures.Future[None] = concurrent.futures.Future()
            self._settled = settled
        count = int(self.num_outputs.value)
        self._progress = f"{self.endpoint}: {count} image{'s' if count > 1 else ''}"
        ui_call(self._begin, f"{self._progress}: sending…")
        recorded = self.collector.recorder(number)
        try:
            task = self.session.submit_run(self.endpoint, on_recorded=recorded, **self.params())
        except Exception as exc:  # the loop is gone, or the parameters cannot be read
            failed: concurrent.futures.Future[Result] = concurrent.futures.Future()
            failed.set_exception(exc)
            task = failed
        self.task = task
        ticker: concurrent.futures.Future[None] | None = None
        if not task.done():
            try:
                ticker = self.session.loop.submit(self._tick(number, settled))
            except RuntimeError:  # the session closed meanwhile: no elapsed-time updates
                ticker = None
        task.add_done_callback(lambda f: ui_call(self._finish, f, number, settled, ticker))
        return task

    async def run(self) -> Result:
        """Run as the Run button does and await the Result (from any event loop).

        Raises:
            InvalidRequestError: bad input (nothing was sent); also shown in the error box.
            PhotaError: the request failed (shown in the error box).
            asyncio.CancelledError: the run was cancelled.
        """
        task = self.start()
        settled = self._settled
        assert settled is not None
        try:
            await asyncio.wrap_future(settled)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if task.cancelled():
            raise asyncio.CancelledError()
        return task.result()

    def wait(self, timeout: float | None = None) -> Result | None:
        """Block until the current run has ended and its widgets are updated.

        Returns:
            The Result, or None when the run failed or was cancelled (the panel shows why).

        Raises:
            TimeoutError: the run did not end in time.
        """
        settled, task = self._settled, self.task
        if settled is None or task is None:
            return self.result
        settled.result(timeout)
        if task.cancelled() or task.exception() is not None:
            return None
        return task.result()

    def cancel(self) -> bool:
        """Cancel the run under way (the coroutine on the loop is cancelled too)."""
        task = self.task
        if task is None or not self.running:
            return False
        return task.cancel()

    def close(self) -> None:
        """Cancel a run under way and close the panel with every widget inside it."""
        self.cancel()
        close_tree(self, super().close)

    def rerun(self, params: Mapping[str, Any]) -> concurrent.futures.Future[Result]:
        """Fill the controls with ``params`` and run them.

        Raises:
            RuntimeError: a run is under way (the controls are left as they are).
        """
        if self.running:
            raise RuntimeError(f"{self.endpoint} is running: cancel it or wait, then re-run")
        self.set_params(params)
        return self.start()

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

    def _on_run_click(self) -> None:
        if self.running:  # a disabled button can still be clicked programmatically
            return
        self.start()

    def _begin(self, text: str) -> None:
        """Show that a run started (on the UI thread)."""
        self.error.clear()
        self.run_button.disabled = True
        self.cancel_button.disabled = False
        self.collect_button.disabled = True
        self.status.start(text)

    def owns_status(self, number: int) -> bool:
        """Whether run ``number`` is the last one and has ended (its outcome may still change)."""
        return number == self._run_count and not self.running

    async def _tick(self, number: int, settled: concurrent.futures.Future[None]) -> None:
        """Sleep on the loop; hand each elapsed-time update to the UI thread."""
        while not settled.done() and number == self._run_count:
            await asyncio.sleep(TICK_SECONDS)
            ui_call(self._show_progress, number, settled)

    def _show_progress(self, number: int, settled: concurrent.futures.Future[None]) -> None:
        if not settled.done() and number == self._run_count:  # not yet finished (same thread)
            self.status.show(f"{self._progress}: running…")

    def _finish(
        self,
        task: concurrent.futures.Future[Result],
        number: int,
        settled: concurrent.futures.Future[None],
        ticker: concurrent.futures.Future[None] | None,
    ) -> None:
        """Write the outcome to the widgets (on the UI thread), then release waiters."""
        if ticker is not None:
            ticker.cancel()
        try:
            if task.cancelled():
                outcome = self.collector.cancelled(number)
                self.grid.mark_earlier("the run just started was cancelled; these are from before")
            elif (exc := task.exception()) is not None:
                self.error.show_error(exc)
                self.grid.mark_earlier(
                    "the run just tried failed (see above); these images are from before it"
                )
                if isinstance(exc, InvalidRequestError):
                    outcome = "not sent: fix the input (nothing was spent)"
                elif isinstance(exc, NotSentError):  # no connection opened: run it again
                    outcome = f"{exc}; run it again once connected"
                elif is_transient(exc) and self.collector.interrupted(number):
                    outcome = KEPT_TEXT
                else:
                    outcome = "failed"
            else:
                result = task.result()
                self.grid.show_result(result).result()  # inline here: a failure raises
                self.result = result
                cost = (
                    f" · ~${result.cost_estimate:.2f}" if result.cost_estimate is not None else ""
                )
                outcome = f"done: {len(result.images)} image(s){cost}"
        except Exception as exc:  # a broken image must not leave the panel stuck
            self.error.show_error(exc)
            outcome = "failed while showing the result"
        self.status.stop(f"{self.endpoint} {outcome}")
        self.run_button.disabled = False
        self.cancel_button.disabled = True
        self.collect_button.disabled = self.collector.kept is None
        settled.set_result(None)

    def collect(self) -> concurrent.futures.Future[Result | None]:
        """What Collect does: fetch this panel's kept run and show it (see :class:`Collector`)."""
        return self.collector.collect()


def _options(dropdown: w.Dropdown) -> list[tuple[str, Any]]:
    return [o if isinstance(o, tuple) else (str(o), o) for o in dropdown.options]


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
