// Review pair (anywidget): the two images judged and the keyboard. Keys pressed anywhere in the
// review panel go to the kernel as they are; the kernel decides. The next pair's images arrive
// ahead of time (binary messages), so "n" (after a verdict) and "0" (skip) show the next pair at
// once; the kernel's answer to every key then confirms what is shown. Each view holds its own
// images (a view that renders asks for them: "ready"). With criteria, a bar above the pair shows
// each criterion's letter and answer so far, the active one (the one 1-4 answer) marked.

function keep(cache, ids) {
  for (const [id, url] of cache) {
    if (!ids.has(id)) {
      URL.revokeObjectURL(url);
      cache.delete(id);
    }
  }
}

function receive(model, cache, msg, buffers) {
  if (!msg || msg.type !== "images" || !buffers) return false;
  msg.ids.forEach((id, i) => {
    if (cache.has(id) || !buffers[i]) return;
    const url = URL.createObjectURL(new Blob([buffers[i]], { type: "image/jpeg" }));
    cache.set(id, url);
    const early = new Image(); // decoded now, so showing it later costs nothing
    early.src = url;
    early.decode().catch(() => {});
  });
  keep(cache, new Set([...model.get("shown"), ...model.get("upcoming"), ...msg.ids]));
  return true;
}

const TYPING = new Set(["INPUT", "TEXTAREA", "SELECT"]);
const CRITERION = "criterion:";

function drawCriteria(bar, model) {
  const criteria = model.get("criteria");
  const active = model.get("active");
  bar.replaceChildren();
  bar.style.display = criteria.length && !model.get("done") ? "flex" : "none";
  criteria.forEach((c, i) => {
    const chip = document.createElement("span");
    chip.className = "phota-review-criterion" + (i === active ? " phota-review-criterion-active" : "");
    chip.dataset.criterion = c.name;
    chip.dataset.answer = c.answer || "";
    chip.style.cssText =
      "padding:2px 8px;border-radius:10px;border:1px solid " +
      (i === active ? "#1976d2;background:#e3f2fd;font-weight:600" : "#ccc");
    const key = document.createElement("kbd");
    key.textContent = c.key;
    const answer = c.answer
      ? " ✔ " + c.answer.replace("_", " ") + (c.recorded ? " (recorded before)" : "")
      : "";
    chip.append(key, " " + c.name + answer);
    bar.appendChild(chip);
  });
}

export default {
  render({ model, el }) {
    el.classList.add("phota-review-keys");
    el.tabIndex = 0;
    // Lumino apps (JupyterLab, Notebook 7): no notebook shortcuts from here. Notebook 7 needs this
    // (without it the keys reached the notebook there, although the event is stopped below)
    el.dataset.lmSuppressShortcuts = "true";
    el.style.cssText = "outline:none;width:100%";
    const cache = new Map(); // id -> blob URL of the images this view holds
    const row = document.createElement("div");
    row.className = "phota-review-pair";
    row.style.cssText = "display:flex;gap:12px;justify-content:center;align-items:flex-start";
    const images = [0, 1].map((side) => {
      const img = document.createElement("img");
      img.className = "phota-review-image";
      img.alt = side ? "right" : "left";
      img.style.cssText =
        "flex:1 1 0;min-width:0;object-fit:contain;display:none;" +
        `max-width:${model.get("max_px")}px;max-height:${model.get("max_height")}`;
      row.appendChild(img);
      return img;
    });
    const status = document.createElement("div");
    status.className = "phota-review-keys-status";
    status.style.cssText = "text-align:center;font-size:0.85em;padding:4px;cursor:pointer";
    const bar = document.createElement("div");
    bar.className = "phota-review-criteria-bar";
    bar.style.cssText = "display:none;gap:6px;justify-content:center;flex-wrap:wrap;padding:4px";
    el.append(bar, row, status);

    let optimistic = false; // showing the upcoming pair before the kernel said so
    let pressed = null; // when the key that moves on was pressed (for the timing below)
    let panel = null;
    const focused = () => (panel || el).contains(document.activeElement);
    const say = () => {
      const keys = Object.entries(model.get("key_map"))
        .filter(([, a]) => !a.startsWith(CRITERION))
        .map(([k, a]) => `${k} ${a.replace("_", " ")}`);
      if (model.get("criteria").length) keys.push("letters: choose the criterion");
      if (model.get("done")) {
        status.textContent = "";
      } else if (focused()) {
        status.textContent = "⌨ keys: " + keys.join(" · ");
        status.style.color = "#555";
        el.classList.remove("phota-review-keys-lost");
      } else {
        status.textContent = "⌨ keys paused: click the pair to judge with the keyboard";
        status.style.color = "#8a6d00";
        el.classList.add("phota-review-keys-lost");
      }
    };
    const paint = (ids) => {
      const ready = ids.length === 2 && ids.every((id) => cache.has(id));
      images.forEach((img, side) => {
        if (ready) {
          if (img.dataset.id !== ids[side]) img.src = cache.get(ids[side]);
          img.dataset.id = ids[side];
          img.style.display = "";
        } else {
          img.style.display = "none";
          img.dataset.id = "";
        }
      });
      el.dataset.shown = ready ? ids.join(" ") : "";
      if (ready && pressed !== null) {
        const start = pressed;
        pressed = null;
        // the frame after the one that painted both images: they are on screen by then
        Promise.all(images.map((img) => img.decode().catch(() => {}))).then(() =>
          requestAnimationFrame(() =>
            requestAnimationFrame(() => {
              el.dataset.keyToPairMs = (performance.now() - start).toFixed(1);
            })
          )
        );
      }
      return ready;
    };
    const truth = () => {
      optimistic = false;
      paint(model.get("shown"));
      say();
    };
    const onKey = (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey || TYPING.has(event.target.tagName)) return;
      const key = event.key.toLowerCase();
      const action = model.get("key_map")[key];
      if (!action) return;
      event.preventDefault();
      event.stopPropagation(); // not a notebook shortcut too
      const movesOn = model.get("answered") ? action === "next" : action === "skip";
      if (movesOn && !model.get("done")) pressed = event.timeStamp;
      if (movesOn && !optimistic && model.get("upcoming").length === 2) {
        optimistic = paint(model.get("upcoming"));
      }
      model.send({ type: "key", key });
    };
    const refocus = (event) => {
      if (!TYPING.has(event.target.tagName)) el.focus({ preventScroll: true });
    };
    const attach = (tries) => {
      if (!el.isConnected) {
        if (tries > 0) requestAnimationFrame(() => attach(tries - 1));
        return;
      }
      panel = el.closest(".phota-review-panel");
      const root = panel || el;
      root.addEventListener("keydown", onKey);
      root.addEventListener("focusin", say);
      root.addEventListener("focusout", () => setTimeout(say, 0));
      if (panel) panel.addEventListener("click", refocus);
      el.focus({ preventScroll: true });
      say();
    };
    el.addEventListener("click", () => el.focus({ preventScroll: true }));
    model.on("msg:custom", (msg, buffers) => {
      if (msg && msg.type === "settled") truth();
      else if (receive(model, cache, msg, buffers) && !optimistic) paint(model.get("shown"));
    });
    model.on("change:shown", truth);
    model.on("change:done", () => {
      say();
      drawCriteria(bar, model);
    });
    model.on("change:criteria", () => drawCriteria(bar, model));
    model.on("change:active", () => drawCriteria(bar, model));
    model.send({ type: "ready" }); // this view has no images yet: send the pair (again)
    truth();
    drawCriteria(bar, model);
    attach(600);
    return () => keep(cache, new Set());
  },
};
