// inpaintkit page: the model picker (GET /api/models), smart selection (POST /api/select, GrabCut) and damage
// detection (POST /api/detect). A selection or a detection joins the mask as a layer: an action of its own
// (undo removes it), painted over and erased like the rest, and, until the next fill, adjustable with the
// Grow / shrink, Smooth and Feather sliders (mask.js: adjustLayer, featheredLayers). Moving a slider previews at once; letting it go
// (or each arrow key) is an "adjust" action, so undo and redo step through the slider settings too.
"use strict";

// --- the model picker ------------------------------------------------------------------------------------

const KIND_LABEL = { pretrained: "trained networks", classical: "classical methods (no network)" };

function describeChoice() {
  const opt = el.picker.selectedOptions[0];
  el.modelName.textContent = opt ? opt.dataset.description : "";
  el.modelName.title = el.modelName.textContent;
}

async function loadModels() {
  try {
    const [health, models] = await Promise.all([
      fetch("/api/health").then((r) => r.json()), fetch("/api/models").then((r) => r.json())]);
    state.limits = health; state.model = models.loaded; state.features = models.features || {};
    el.picker.replaceChildren();
    const own = models.models.find((m) => m.name === models.loaded);
    const first = new Option(`${models.loaded} (this server's)`, models.loaded, true, true);
    first.dataset.description = own ? own.description : `The model this server was started with (${models.loaded}).`;
    el.picker.append(first);
    for (const kind of ["pretrained", "classical"]) {
      const group = document.createElement("optgroup"); group.label = KIND_LABEL[kind];
      for (const m of models.models.filter((x) => x.selectable && x.kind === kind && x.name !== models.loaded)) {
        const opt = new Option(m.name, m.name); opt.dataset.description = m.description; opt.title = m.description;
        group.append(opt);
      }
      if (group.children.length) el.picker.append(group);
    }
    el.detect.hidden = !state.features.detect;
    describeChoice();
    document.body.dataset.ready = "true";
  } catch (_) {
    el.modelName.textContent = "server not reachable";
  }
  refresh();
}
el.picker.addEventListener("change", () => {
  describeChoice();
  setStatus(`Fills now use ${el.picker.value}.`);
  el.picker.blur();  // the shortcuts work again at once
});

// --- layers ----------------------------------------------------------------------------------------------

// The layer the sliders adjust: the newest selection or detection since the last fill.
function editableLayer() {
  for (let i = state.actions.length - 1; i >= 0; i--) {
    const a = state.actions[i];
    if (a.type === "fill") return null;
    if (a.type === "layer") return a;
  }
  return null;
}

function refreshLayer() {
  const layer = editableLayer();
  el.layerPanel.hidden = !layer || state.comparing;
  if (!layer) return;
  el.layerTitle.textContent = layer.source === "detect" ? "Detected damage" : "Selection";
  el.grow.value = String(layer.grow); el.growOut.textContent = `${layer.grow > 0 ? "+" : ""}${layer.grow}`;
  el.smooth.value = String(layer.smooth); el.smoothOut.textContent = String(layer.smooth);
  el.feather.value = String(layer.feather); el.featherOut.textContent = String(layer.feather);
}

// Give every layer in `actions` the settings of its newest "adjust" (or its live preview), redrawn if changed.
function settleLayers(actions) {
  const settings = new Map();
  for (const a of actions) {
    if (a.type === "layer") settings.set(a, { grow: 0, smooth: 0, feather: 0 });
    else if (a.type === "adjust") settings.set(a.layer, { grow: a.grow, smooth: a.smooth, feather: a.feather });
  }
  for (const [layer, set] of settings) {
    const want = layer.preview || set;
    if (layer.grow !== want.grow || layer.smooth !== want.smooth || !layer.canvas) {
      layer.grow = want.grow; layer.smooth = want.smooth;
      layer.canvas = adjustLayer(layer.raw, layer.grow, layer.smooth);
    }
    layer.feather = want.feather;  // used when filling (mask.js: featheredLayers)
  }
}

function sliderValues() {
  return { grow: Number(el.grow.value), smooth: Number(el.smooth.value), feather: Number(el.feather.value) };
}

function onLayerSlider() {  // while it moves: a preview, not yet an action
  const layer = editableLayer();
  if (!layer || state.busy) return;
  layer.preview = sliderValues();
  replay();
}

function onLayerSliderDone() {  // let go: one undoable action (nothing if it ended where it started)
  const layer = editableLayer();
  if (!layer || state.busy) return;
  const want = sliderValues(); delete layer.preview;
  settleLayers(state.actions);  // the layer's settings without the preview
  if (want.grow !== layer.grow || want.smooth !== layer.smooth || want.feather !== layer.feather) push({ type: "adjust", layer, ...want });
  replay();
}
el.grow.addEventListener("input", onLayerSlider);
el.smooth.addEventListener("input", onLayerSlider);
el.grow.addEventListener("change", onLayerSliderDone);
el.feather.addEventListener("input", onLayerSlider);
el.feather.addEventListener("change", onLayerSliderDone);
el.smooth.addEventListener("change", onLayerSliderDone);
el.layerDone.addEventListener("click", () => { el.layerPanel.hidden = true; });

// A mask PNG from the server (white = selected) -> a layer action on the mask.
async function addLayer(response, source) {
  const bitmap = await createImageBitmap(await response.blob());
  const raw = tintMask(bitmap);
  const layer = { type: "layer", source, raw, grow: 0, smooth: 0, feather: 0, canvas: raw };
  push(layer); replay();
  return Number(response.headers.get("X-Mask-Pixels"));
}

// --- damage detection ------------------------------------------------------------------------------------

function detectDamage() {
  if (!state.features.detect) return null;
  return request("detect", "Looking for damage…", async (t0) => {
    const form = new FormData();
    form.append("image", state.current.blob, "image");
    const count = await addLayer(await post("/api/detect", form, "detection"), "detect");
    setStatus(`Detected ${count.toLocaleString()} damaged pixels in ${seconds(performance.now() - t0)}: ` +
              "adjust them with the sliders, the brush and the eraser, then press Fill.");
  });
}
el.detect.addEventListener("click", detectDamage);

// --- smart selection -------------------------------------------------------------------------------------

let box = null;  // {id, start: [x, y], end: [x, y]} in image pixels, while dragging

function showBox() {
  const [x0, y0] = box.start, [x1, y1] = box.end;
  Object.assign(el.selectBox.style, {
    left: `${100 * Math.min(x0, x1) / View.w}%`, top: `${100 * Math.min(y0, y1) / View.h}%`,
    width: `${100 * Math.abs(x1 - x0) / View.w}%`, height: `${100 * Math.abs(y1 - y0) / View.h}%`,
  });
  el.selectBox.hidden = false;
}

function startSelect(ev) {
  const p = toImage(ev);
  box = { id: ev.pointerId, start: p, end: p };
  el.workspace.setPointerCapture(ev.pointerId);
  showBox();
}
function moveSelect(ev) {
  if (!box || box.id !== ev.pointerId) return false;
  box.end = toImage(ev); showBox();
  return true;
}
function cancelSelect() { box = null; el.selectBox.hidden = true; }

// Released: a drag is the box; a click (under 6 screen pixels of movement) a box half the photo wide around it, with
// the clicked point marked as the object.
function endSelect(ev) {
  if (!box || box.id !== ev.pointerId) return false;
  const clamp = (v, hi) => Math.max(0, Math.min(hi, v));
  const [x0, y0] = box.start, [x1, y1] = box.end;
  let rect, points = "";
  if (Math.hypot(x1 - x0, y1 - y0) * View.scale < 6) {
    const half = Math.max(16, 0.25 * Math.max(View.w, View.h));  // a box half the photo wide
    rect = [x0 - half, y0 - half, x0 + half, y0 + half];
    points = `${Math.round(x0)},${Math.round(y0)}`;
  } else {
    rect = [Math.min(x0, x1), Math.min(y0, y1), Math.max(x0, x1), Math.max(y0, y1)];
  }
  rect = [clamp(rect[0], View.w), clamp(rect[1], View.h), clamp(rect[2], View.w), clamp(rect[3], View.h)].map(Math.round);
  cancelSelect();
  selectObject(rect, points);
  return true;
}

function selectObject(rect, points) {
  return request("select", "Selecting…", async (t0) => {
    const form = new FormData();
    form.append("image", state.current.blob, "image");
    form.append("box", rect.join(","));
    if (points) form.append("points", points);
    const count = await addLayer(await post("/api/select", form, "selection"), "select");
    setStatus(`Selected ${count.toLocaleString()} pixels in ${seconds(performance.now() - t0)}: ` +
              "grow, shrink or smooth it with the sliders, touch it up with the brush, then press Fill.");
  });
}

loadModels();
