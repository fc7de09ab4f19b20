// inpaintkit page: open a photo, paint the hole, Fill (POST /api/inpaint), compare, keep editing, download.
// files.js opens photos and mask files; view.js zooms, pans and compares; mask.js turns the mask into pixels;
// tools.js adds the model picker, smart selection and damage detection.
//
// State is a list of actions replayed on top of the opened photo, so undo/redo covers painting and fills:
//   {type: "stroke", mode: "brush"|"eraser", width, points: [[x, y], ...]}   (image pixels)
//   {type: "clear"}   {type: "mask", canvas}   {type: "layer", source, raw, grow, smooth, feather, canvas}
//   {type: "adjust", layer, grow, smooth, feather} (a slider moved: undo puts the layer's old outline back; tools.js)
//   {type: "fill", image: {blob, bitmap}, maskBlob, hole, ms}   (hole: the binary mask canvas it filled)
// The mask canvas has the image's size; painted pixels are opaque, and alpha > 127 is a hole when sent.
// One request at a time: every call to the server goes through request(), which holds the page busy.
"use strict";

const $ = (id) => document.getElementById(id);
const el = {
  open: $("open"), fileInput: $("file-input"), loadMask: $("load-mask"), maskInput: $("mask-input"),
  brush: $("tool-brush"), eraser: $("tool-eraser"), size: $("brush-size"), sizeOut: $("brush-size-out"),
  undo: $("undo"), redo: $("redo"), clear: $("clear"), fill: $("fill"), compare: $("compare"),
  select: $("tool-select"), pan: $("tool-pan"), detect: $("detect"), picker: $("model-picker"),
  zoomIn: $("zoom-in"), zoomOut: $("zoom-out"), zoomFit: $("zoom-fit"), selectBox: $("select-box"),
  layerPanel: $("layer-panel"), layerTitle: $("layer-title"), grow: $("layer-grow"), growOut: $("layer-grow-out"),
  smooth: $("layer-smooth"), smoothOut: $("layer-smooth-out"), feather: $("layer-feather"),
  featherOut: $("layer-feather-out"), layerDone: $("layer-done"), busyText: $("busy-text"),
  downloadResult: $("download-result"), downloadMask: $("download-mask"),
  error: $("error"), errorText: $("error-text"), errorClose: $("error-close"),
  workspace: $("workspace"), dropzone: $("dropzone"), dropOverlay: $("drop-overlay"),
  stage: $("stage"), imageCanvas: $("image-canvas"), beforeCanvas: $("before-canvas"),
  maskCanvas: $("mask-canvas"), compareLine: $("compare-line"), cursor: $("cursor"), busy: $("busy"),
  status: $("status"), modelName: $("model-name"),
};
const maskCtx = el.maskCanvas.getContext("2d", { willReadFrequently: true });

const state = {
  base: null,          // {blob, bitmap, name}: the photo as opened
  current: null,       // {blob, bitmap}: what the next Fill sends (the photo, or the last result)
  lastFill: null,      // {before, after, maskBlob, ms} of the newest fill still in the history
  actions: [], redoStack: [],
  tool: "brush", stroke: null, busy: false, comparing: false, split: 50,
  limits: null, model: "", features: {},
};

// --- messages ------------------------------------------------------------------------------------------

function showError(text) {
  el.errorText.textContent = text;
  el.error.hidden = false;
}
function hideError() { el.error.hidden = true; }
function setStatus(text) { el.status.textContent = text; }

async function errorMessage(response) {
  // The server answers {"detail": "..."}; FastAPI's own validation errors give a list.
  let detail = "";
  try {
    const body = await response.json();
    detail = Array.isArray(body.detail) ? body.detail.map((d) => d.msg).join("; ") : String(body.detail ?? "");
  } catch (_) { /* not JSON */ }
  return `The server refused the ${errorMessage.what || "request"} (${response.status}): ${detail || response.statusText || "no reason given"}`;
}

// --- drawing ---------------------------------------------------------------------------------------------

// Points from index `from` on: a dot at the first, then one round-capped segment per step. Painting live
// and replaying (undo/redo) both come through here the same way, so they give identical pixels.
function drawStroke(ctx, s, from = 0) {
  ctx.save();
  ctx.globalCompositeOperation = s.mode === "eraser" ? "destination-out" : "source-over";
  ctx.strokeStyle = ctx.fillStyle = MASK_COLOR;
  ctx.lineWidth = s.width; ctx.lineCap = "round"; ctx.lineJoin = "round";
  const p = s.points;
  for (let i = from; i < p.length; i++) {
    ctx.beginPath();
    if (i === 0) { ctx.arc(p[0][0], p[0][1], s.width / 2, 0, 2 * Math.PI); ctx.fill(); continue; }
    ctx.moveTo(p[i - 1][0], p[i - 1][1]); ctx.lineTo(p[i][0], p[i][1]); ctx.stroke();
  }
  ctx.restore();
}

function drawImage(canvas, bitmap) {
  canvas.width = bitmap.width; canvas.height = bitmap.height;
  canvas.getContext("2d").drawImage(bitmap, 0, 0);
}

function clearMask() { maskCtx.clearRect(0, 0, el.maskCanvas.width, el.maskCanvas.height); }

// Rebuild image + mask from the photo and the action list (after undo/redo).
function replay() {
  let image = state.base; let lastFill = null;
  settleLayers(state.actions);  // tools.js: each layer's outline after the slider moves still in the list
  clearMask();
  for (const a of state.actions) {
    if (a.type === "stroke") drawStroke(maskCtx, a);
    else if (a.type === "clear") clearMask();
    else if (a.type === "mask") { clearMask(); maskCtx.drawImage(a.canvas, 0, 0); }
    else if (a.type === "layer") maskCtx.drawImage(a.canvas, 0, 0);
    else if (a.type === "fill") {
      lastFill = { before: image, after: a.image, maskBlob: a.maskBlob, ms: a.ms };
      image = a.image; clearMask();
    }
  }
  const changed = image !== state.current;
  state.current = image; state.lastFill = lastFill;
  if (changed) drawImage(el.imageCanvas, image.bitmap);
  document.body.dataset.fills = String(state.actions.filter((a) => a.type === "fill").length);
  if (!lastFill && state.comparing) setComparing(false);
  if (state.comparing) drawImage(el.beforeCanvas, lastFill.before.bitmap);
  refresh();
  refreshLayer();
}

function push(action) {
  state.actions.push(action); state.redoStack = [];
  if (action.type === "fill") replay(); else refresh();
}

function undo() {
  if (state.busy || !state.actions.length) return;
  state.redoStack.push(state.actions.pop()); replay();
  setStatus("Undone.");
}
function redo() {
  if (state.busy || !state.redoStack.length) return;
  state.actions.push(state.redoStack.pop()); replay();
  setStatus("Redone.");
}

// --- buttons' enabled state and layout -------------------------------------------------------------------

function refresh() {
  const has = !!state.current; const idle = !state.busy;
  el.undo.disabled = !(has && idle && state.actions.length);
  el.redo.disabled = !(has && idle && state.redoStack.length);
  el.clear.disabled = !(has && idle && !state.comparing);
  el.fill.disabled = !(has && idle && !state.comparing);
  el.compare.disabled = !(idle && state.lastFill);
  el.downloadResult.disabled = !state.lastFill;
  el.downloadMask.disabled = !has;
  el.loadMask.disabled = !(has && idle);
  el.open.disabled = !idle;
  el.detect.disabled = !(has && idle && !state.comparing);
  el.picker.disabled = !idle || !el.picker.options.length;
  el.fill.textContent = state.busy === "fill" ? "Filling…" : "Fill";
}

function layout() {
  if (!state.current) return;
  const { width: w, height: h } = state.current.bitmap;
  const box = el.workspace.getBoundingClientRect();
  View.layout(w, h, box.width, box.height);
}

// The mask rule of the server (src/inpaintkit/images/mask.py): the level is the alpha when the mask has
// transparency, else the grey level as Pillow computes it (ITU-R 601 luma, rounded); a hole is level > 127.
// tests/test_model_spec.py runs this function and checks that it agrees with the Python rule.
function maskIsHole(r, g, b, a, transparent) {
  const level = transparent ? a : (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
  return level > 127;
}

// --- the mask file rule, and the mask as the server wants it ---------------------------------------------------------------------

// mask.js: maskPng (what a fill sends), cumulativeMaskPng (Save mask), the layer adjustments.

// --- fill ------------------------------------------------------------------------------------------------

// busy: false, or what the page waits for ("fill", "select", "detect"); one request at a time.
function setBusy(busy, text = "Filling…") {
  state.busy = busy;
  document.body.dataset.busy = String(!!busy);
  el.busy.hidden = !busy; el.busyText.textContent = text;
  el.stage.classList.toggle("busy", !!busy);
  document.body.setAttribute("aria-busy", String(!!busy));
  refresh();
}

function seconds(ms) { return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`; }

// Run `work(t0)` (which posts to the server) as the page's one request in flight. The page is busy from
// the first line, before any await, so a double click or a key held down sends one request. Returns
// work's value, or null when refused (busy) or failed (the error is shown).
async function request(what, text, work) {
  if (!state.current || state.busy || state.comparing) return null;
  hideError(); setBusy(what, text);
  const t0 = performance.now();
  try {
    return await work(t0);
  } catch (e) {
    showError(e.serverSaid || `Could not reach the server: ${e.message}`);
    setStatus(`${what[0].toUpperCase()}${what.slice(1)} failed.`);
    return null;
  } finally {
    setBusy(false);
  }
}

async function post(url, form, what) {
  const response = await fetch(url, { method: "POST", body: form });
  if (!response.ok) {
    errorMessage.what = what;
    const err = new Error(response.statusText); err.serverSaid = await errorMessage(response);
    throw err;
  }
  return response;
}

function fill() {
  return request("fill", "Filling…", async (t0) => {
    const feathered = featheredLayers();  // mask.js: soft edges of the layers with a feather
    const { blob: maskBlob, holes, hole } = await maskPng(feathered.map((f) => f.reach));
    if (!holes) {
      showError("Nothing to fill yet: paint over the area to remove (or load a mask), then press Fill.");
      return;
    }
    setStatus(`Filling ${holes.toLocaleString()} pixels…`);
    const form = new FormData();
    form.append("image", state.current.blob, "image");
    form.append("mask", maskBlob, "mask.png");
    if (el.picker.value && el.picker.value !== state.model) form.append("model", el.picker.value);
    const response = await post("/api/inpaint", form, "fill");
    let blob = await response.blob();
    let bitmap = await createImageBitmap(blob);
    if (feathered.length) {  // blend the fill into the photo across each feathered edge
      blob = await toPng(featherBlend(state.current.bitmap, bitmap, feathered));
      bitmap = await createImageBitmap(blob);
    }
    const ms = Number(response.headers.get("X-Inpaint-Ms"));
    const model = response.headers.get("X-Inpaint-Model") || el.picker.value || "the model";
    push({ type: "fill", image: { blob, bitmap }, maskBlob, hole, ms });
    const wall = performance.now() - t0;  // what the user waited: upload, decode, fill, encode, download
    document.body.dataset.wallMs = String(Math.round(wall));
    setStatus(`Filled ${holes.toLocaleString()} pixels in ${seconds(wall)} with ${model}` +
              (Number.isFinite(ms) ? ` (model ${seconds(ms)}, the rest upload, decoding and download). ` : ". ") +
              "C compares, Ctrl+Z undoes the fill.");
  });
}

// --- painting with the pointer ---------------------------------------------------------------------------

// Pointer -> image pixels through the stage's rectangle on screen: exact at any zoom and pan.
function toImage(ev) {
  const r = el.stage.getBoundingClientRect();
  return [(ev.clientX - r.left) * View.w / r.width, (ev.clientY - r.top) * View.h / r.height];
}

let pointer = null; // last pointer position on the stage, screen pixels relative to it
function updateCursor() {
  const show = pointer && !state.comparing && !state.busy && state.current && ["brush", "eraser"].includes(state.tool);
  el.cursor.hidden = !show;
  if (!show) return;
  const d = Number(el.size.value);
  Object.assign(el.cursor.style, { width: `${d}px`, height: `${d}px`, left: `${pointer[0]}px`, top: `${pointer[1]}px` });
  el.cursor.classList.toggle("eraser", state.tool === "eraser");
}

// Pointer events come to the work area: view.js takes pans and pinches, the rest paints (or selects).
el.workspace.addEventListener("pointerdown", (ev) => {
  if (ev.target !== el.workspace && !el.stage.contains(ev.target)) return;  // the sliders' panel, a message
  if (viewPointerDown(ev) || ev.button !== 0 || state.busy || !state.current) return;
  const r = el.stage.getBoundingClientRect();
  if (state.comparing) { setSplit(100 * (ev.clientX - r.left) / r.width); return; }
  if (state.tool === "select") { startSelect(ev); return; }
  el.workspace.setPointerCapture(ev.pointerId);
  state.stroke = { type: "stroke", mode: state.tool, width: Number(el.size.value) / View.scale, points: [toImage(ev)], id: ev.pointerId };
  drawStroke(maskCtx, state.stroke);
});

el.workspace.addEventListener("pointermove", (ev) => {
  if (viewPointerMove(ev)) return;
  const r = el.stage.getBoundingClientRect();
  const inside = ev.clientX >= r.left && ev.clientX < r.right && ev.clientY >= r.top && ev.clientY < r.bottom;
  pointer = inside || state.stroke ? [ev.clientX - r.left, ev.clientY - r.top] : null;
  updateCursor();
  if (state.comparing) { if (inside) setSplit(100 * pointer[0] / r.width); return; }
  if (moveSelect(ev)) return;
  const s = state.stroke;
  if (!s || s.id !== ev.pointerId) return;
  s.points.push(toImage(ev));
  drawStroke(maskCtx, s, s.points.length - 1);
});

function endStroke(ev) {
  if (viewPointerUp(ev) || endSelect(ev)) return;
  if (!state.stroke || state.stroke.id !== ev.pointerId) return;
  delete state.stroke.id;
  push(state.stroke); state.stroke = null;
}
// A stroke that turned into a pinch (a second finger) is taken back.
function cancelStroke() {
  if (!state.stroke) return;
  state.stroke = null; replay();
}
el.workspace.addEventListener("pointerup", endStroke);
el.workspace.addEventListener("pointercancel", endStroke);
el.workspace.addEventListener("pointerleave", () => { pointer = null; updateCursor(); });

// --- tools, buttons, keys --------------------------------------------------------------------------------

function setTool(tool) {
  state.tool = tool;
  for (const [name, button] of [["brush", el.brush], ["eraser", el.eraser], ["select", el.select], ["pan", el.pan]]) {
    button.setAttribute("aria-pressed", String(tool === name));
  }
  el.stage.dataset.tool = tool;
  updateCursor();
}

function setSize(v) {
  el.size.value = String(v);
  el.sizeOut.textContent = el.size.value;
  updateCursor();
}

function download(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob); a.download = name;
  document.body.appendChild(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

el.open.addEventListener("click", () => el.fileInput.click());
el.loadMask.addEventListener("click", () => el.maskInput.click());
el.fileInput.addEventListener("change", () => { openImage(el.fileInput.files[0]); el.fileInput.value = ""; });
el.maskInput.addEventListener("change", () => { openMask(el.maskInput.files[0]); el.maskInput.value = ""; });
el.brush.addEventListener("click", () => setTool("brush"));
el.eraser.addEventListener("click", () => setTool("eraser"));
el.select.addEventListener("click", () => setTool("select"));
el.pan.addEventListener("click", () => setTool("pan"));
el.size.addEventListener("input", () => setSize(el.size.value));
el.undo.addEventListener("click", undo);
el.redo.addEventListener("click", redo);
el.clear.addEventListener("click", () => { if (state.current) { push({ type: "clear" }); clearMask(); setStatus("Mask cleared."); } });
el.fill.addEventListener("click", fill);
el.compare.addEventListener("click", () => setComparing(!state.comparing));
el.errorClose.addEventListener("click", hideError);
el.downloadResult.addEventListener("click", () => {
  if (state.lastFill) download(state.current.blob, `${state.base.name}-filled.png`);
});
el.downloadMask.addEventListener("click", async () => {
  // The whole mask that produced the image: every fill in the history, and what is painted now.
  download(await cumulativeMaskPng(), `${state.base.name}-mask.png`);
});

// Shortcuts. Letters are left alone while a text field or the model list has the focus.
const KEYS = {
  b: () => setTool("brush"), e: () => setTool("eraser"), s: () => setTool("select"), h: () => setTool("pan"),
  f: () => fill(), c: () => setComparing(!state.comparing), d: () => detectDamage(),
  "[": () => setSize(Math.max(4, Number(el.size.value) - 4)), "]": () => setSize(Math.min(160, Number(el.size.value) + 4)),
  "+": () => View.zoomBy(1.5), "=": () => View.zoomBy(1.5), "-": () => View.zoomBy(1 / 1.5),
  "0": () => View.toFit(), "1": () => View.zoomTo(1),
  escape: () => { hideError(); cancelSelect(); if (state.comparing) setComparing(false); },
};
document.addEventListener("keydown", (ev) => {
  const mod = ev.ctrlKey || ev.metaKey; const key = ev.key.toLowerCase();
  const typing = ev.target.matches?.("select, textarea, input:not([type=range]):not([type=file])");
  if (mod && key === "z") { ev.preventDefault(); ev.shiftKey ? redo() : undo(); return; }
  if (mod && key === "y") { ev.preventDefault(); redo(); return; }
  if (mod && key === "enter") { ev.preventDefault(); fill(); return; }
  if (mod || ev.altKey || typing || !state.current) return;
  if (key === " " && !ev.target.matches?.("button")) { ev.preventDefault(); pan.space = true; return; }
  const action = KEYS[key];
  if (action && !ev.repeat) { ev.preventDefault(); action(); }
  else if (action && "[]+=-".includes(key)) action();  // held: keep resizing / zooming
});
document.addEventListener("keyup", (ev) => { if (ev.key === " ") pan.space = false; });

new ResizeObserver(layout).observe(el.workspace);

setSize(el.size.value);
setTool("brush");
refresh();
