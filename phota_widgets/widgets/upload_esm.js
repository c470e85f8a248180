// Photo upload (anywidget): the browser reads each chosen file, draws it to a canvas no larger
// than what Phota receives, and sends the result to the kernel in parts small enough for any
// websocket. Files it cannot read are named to the kernel, which says so in the panel.

const SENT_AS_IS = new Set(["image/jpeg", "image/png", "image/webp"]);

function newId() {
  return Math.random().toString(36).slice(2) + Date.now().toString(36);
}

async function encode(file, maxSide, keepBytes) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch (err) {
    if (file.size <= keepBytes) return { blob: file, name: file.name }; // the kernel decides
    throw new Error("the browser cannot read this image");
  }
  const { width, height } = bitmap;
  if (
    Math.max(width, height) <= maxSide &&
    file.size <= keepBytes &&
    SENT_AS_IS.has(file.type)
  ) {
    bitmap.close();
    return { blob: file, name: file.name }; // small enough: the original, untouched
  }
  const scale = Math.min(1, maxSide / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(bitmap, 0, 0, w, h);
  bitmap.close();
  const lossless = file.type === "image/png" || file.type === "image/webp";
  let blob = await canvas.convertToBlob({ type: lossless ? "image/png" : "image/jpeg", quality: 0.92 });
  if (lossless && blob.size > keepBytes) {
    blob = await canvas.convertToBlob({ type: "image/jpeg", quality: 0.92 });
  }
  const stem = file.name.replace(/\.[^.]*$/, "");
  return { blob, name: `${stem}.${blob.type === "image/png" ? "png" : "jpg"}` };
}

async function sendFile(model, file, original) {
  const id = newId();
  const data = new Uint8Array(await file.blob.arrayBuffer());
  const part = model.get("part_bytes");
  const parts = Math.max(1, Math.ceil(data.length / part));
  model.send({ type: "begin", id, name: file.name, original, size: data.length, parts });
  for (let i = 0; i < parts; i++) {
    const chunk = data.slice(i * part, Math.min(data.length, (i + 1) * part));
    model.send({ type: "part", id, index: i }, undefined, [chunk.buffer]);
  }
  model.send({ type: "end", id });
}

async function take(model, files, say) {
  const limit = model.get("max_files");
  const chosen = Array.from(files);
  const taken = chosen.slice(0, limit);
  const dropped = chosen.slice(limit).map((f) => f.name);
  model.send({ type: "choice", count: chosen.length }); // a new choice replaces the last one
  const refusals = [];
  let done = 0;
  for (const file of taken) {
    say(`preparing ${file.name} (${done + 1} of ${taken.length})…`);
    try {
      const encoded = await encode(file, model.get("max_side"), model.get("keep_bytes"));
      await sendFile(model, encoded, file.name);
      done += 1;
    } catch (err) {
      refusals.push({ type: "refused", names: [file.name], why: String(err.message || err) });
    }
  }
  if (dropped.length) {
    refusals.push({ type: "refused", names: dropped, why: `only ${limit} image(s) can be taken here` });
  }
  // last, so that the files taken before them do not clear what the panel says
  for (const refusal of refusals) model.send(refusal);
  say(done ? `sent ${done} image(s)` : "");
}

export default {
  render({ model, el }) {
    el.classList.add("phota-upload");
    const input = document.createElement("input");
    input.type = "file";
    input.className = "phota-upload-input";
    input.style.display = "none";
    const button = document.createElement("button");
    button.className = "jupyter-button widget-button phota-upload-button";
    const note = document.createElement("span");
    note.className = "phota-upload-note";
    note.style.marginLeft = "6px";
    note.style.fontSize = "smaller";
    const say = (text) => { note.textContent = text; };
    const paint = () => {
      input.accept = model.get("accept");
      input.multiple = model.get("max_files") > 1;
      const count = model.get("count");
      button.textContent = model.get("description") + (count ? ` (${count})` : "");
      button.disabled = model.get("disabled");
    };
    button.addEventListener("click", () => input.click());
    input.addEventListener("change", async () => {
      const files = input.files;
      if (!files || !files.length) return;
      button.disabled = true;
      try {
        await take(model, files, say);
      } finally {
        input.value = "";
        paint();
      }
    });
    model.on("change:description", paint);
    model.on("change:count", paint);
    model.on("change:disabled", paint);
    model.on("change:max_files", paint);
    paint();
    el.append(button, input, note);
  },
};
