""" "Copy code": the snippet that reproduces a result, in Python and cURL, one click to copy.

Shown beside each result. The browser copies the chosen snippet to the clipboard (and shows it,
selectable, where the clipboard is not allowed); the kernel hears of each copy. The snippets
hold no key: they read ``$PHOTA_API_KEY``.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from phota_widgets.session.snippets import api_root, curl_snippet, python_snippet

if TYPE_CHECKING:
    from phota_widgets.api.results import Result
    from phota_widgets.session import Session

_ESM = """
function copyText(text, pre) {
  pre.textContent = text;
  pre.style.display = "block";
  const done = () => true;
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text).then(done, () => false);
  }
  const range = document.createRange();  // no clipboard API here: select it for Ctrl-C
  range.selectNodeContents(pre);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  return Promise.resolve(false);
}
export default {
  render({ model, el }) {
    el.classList.add("phota-copy-code");
    const row = document.createElement("div");
    const pre = document.createElement("pre");
    pre.className = "phota-copy-code-text";
    pre.style.cssText = "display:none;max-height:16em;overflow:auto;font-size:0.85em;" +
      "background:#f6f8fa;padding:6px;white-space:pre-wrap;user-select:text";
    const note = document.createElement("span");
    note.className = "phota-copy-code-note";
    note.style.cssText = "margin-left:6px;font-size:0.85em;color:#555";
    for (const [kind, label] of [["python", "Copy code (Python)"], ["curl", "cURL"]]) {
      const button = document.createElement("button");
      button.className = "jupyter-button phota-copy-code-" + kind;
      button.textContent = label;
      button.title = "the code that makes this result again (key read from $PHOTA_API_KEY)";
      button.addEventListener("click", async () => {
        const copied = await copyText(model.get(kind), pre);
        note.textContent = copied ? "copied" : "select the code below and copy it";
        model.send({ type: "copied", kind, clipboard: copied });
      });
      row.appendChild(button);
    }
    row.appendChild(note);
    el.appendChild(row);
    el.appendChild(pre);
    model.on("change:python", () => { pre.style.display = "none"; note.textContent = ""; });
  },
};
"""


class CopyCode(anywidget.AnyWidget):
    """Two buttons copying the snippet that reproduces the result shown (Python or cURL).

    Attributes:
        python: the Python snippet ("" when no result is shown: the buttons hide).
        curl: the cURL command.
        copies: what was copied, in order (``"python"`` or ``"curl"``), as the browser said.
    """

    _esm = _ESM
    python = traitlets.Unicode("").tag(sync=True)
    curl = traitlets.Unicode("").tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_class("phota-copy-code")
        self.layout.display = "none"  # shown with a result
        self.copies: list[str] = []
        self.on_msg(self._on_copied)

    def show(self, session: Session, result: Result) -> None:
        """Offer the code of ``result`` (a run recorded in the session's store)."""
        self.python, self.curl = snippets_for(session, result)
        self.layout.display = None

    def clear(self) -> None:
        """Offer nothing (the buttons hide)."""
        self.python = self.curl = ""
        self.layout.display = "none"

    def _on_copied(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "copied":
            kind = str(content.get("kind"))
            if kind in ("python", "curl"):
                self.copies.append(kind)


def snippets_for(session: Session, result: Result) -> tuple[str, str]:
    """The Python and cURL snippets reproducing ``result`` (its recorded parameters)."""
    params: dict[str, Any] = dict(result.request)
    if result.run_id:
        with contextlib.suppress(KeyError):  # not in this store: what was sent is all there is
            params = dict(session.store.get(result.run_id).params)
    python = python_snippet(result.endpoint, params, output_dir=session.store.root)
    root = api_root(session.aclient.base_url, session.is_local)
    curl = curl_snippet(result.endpoint, params, base_url=root, input_path=session.store.input_path)
    if session.is_local:
        curl = "# made offline; this sends it to the Phota API\n" + curl
    return python, curl
