// inpaintkit page: the mask as pixels: what a fill sends, the cumulative mask "Save mask" downloads, the
// layer adjustments (grow / shrink, smooth) of a selection or detection, and the feathered blend of a fill.
"use strict";

const MASK_COLOR = "rgb(255, 48, 96)";

function newCanvas(w, h) {
  const c = document.createElement("canvas"); c.width = w; c.height = h;
  return c;
}
function toPng(canvas) { return new Promise((resolve) => canvas.toBlob(resolve, "image/png")); }

// The painted mask as the server reads it: `hole`, a canvas opaque white where alpha > 127 (else transparent),
// and its hole count; `extra` hole canvases are added (opaque on transparent: the union, exactly).
function holeCanvas(extra = []) {
  const w = el.maskCanvas.width, h = el.maskCanvas.height;
  const src = maskCtx.getImageData(0, 0, w, h).data;
  const out = new ImageData(w, h); const px = out.data;
  let holes = 0;
  for (let i = 0; i < px.length; i += 4) {
    const v = src[i + 3] > 127 ? 255 : 0; holes += v > 0;
    px[i] = px[i + 1] = px[i + 2] = 255; px[i + 3] = v;
  }
  const hole = newCanvas(w, h); const ctx = hole.getContext("2d");
  ctx.putImageData(out, 0, 0);
  for (const c of extra) ctx.drawImage(c, 0, 0);
  return { hole, holes };
}

// Black/white PNG (white = fill) of a hole canvas.
function blackWhitePng(hole) {
  const c = newCanvas(hole.width, hole.height); const ctx = c.getContext("2d");
  ctx.fillStyle = "#000"; ctx.fillRect(0, 0, c.width, c.height); ctx.drawImage(hole, 0, 0);
  return toPng(c);
}

// The painted mask (with `extra` hole canvases added): black/white PNG, its hole count and its hole canvas
// (kept by the fill, for the union).
async function maskPng(extra = []) {
  const { hole, holes } = holeCanvas(extra);
  return { blob: await blackWhitePng(hole), holes, hole };
}

// Everything filled so far in the history and what is painted now: the mask that produced the image.
function cumulativeMaskPng() {
  const fills = state.actions.filter((a) => a.type === "fill").map((a) => a.hole);
  return blackWhitePng(holeCanvas(fills).hole);
}

// A server's mask image (white = selected) -> a canvas in the mask colour, opaque where selected.
function tintMask(bitmap) {
  const c = newCanvas(bitmap.width, bitmap.height); const ctx = c.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0);
  const d = ctx.getImageData(0, 0, c.width, c.height); const px = d.data;
  for (let i = 0; i < px.length; i += 4) {
    const on = px[i] > 127;
    px[i] = 255; px[i + 1] = 48; px[i + 2] = 96; px[i + 3] = on ? 255 : 0;
  }
  ctx.putImageData(d, 0, 0);
  return c;
}

function blurred(src, sigma) {
  const c = newCanvas(src.width, src.height); const ctx = c.getContext("2d", { willReadFrequently: true });
  ctx.filter = `blur(${sigma}px)`; ctx.drawImage(src, 0, 0); ctx.filter = "none";
  return c;
}

// Blur `src` (a Gaussian of `sigma` px) and keep the pixels whose alpha is over `level`, opaque in `rgb`.
function blurThreshold(src, sigma, level, rgb = [255, 48, 96]) {
  const c = blurred(src, sigma); const ctx = c.getContext("2d", { willReadFrequently: true });
  const d = ctx.getImageData(0, 0, c.width, c.height); const px = d.data;
  for (let i = 0; i < px.length; i += 4) {
    px[i] = rgb[0]; px[i + 1] = rgb[1]; px[i + 2] = rgb[2]; px[i + 3] = px[i + 3] > level ? 255 : 0;
  }
  ctx.putImageData(d, 0, 0);
  return c;
}

// Grow (> 0) or shrink (< 0) a layer by about `grow` pixels, then smooth its outline over `smooth` pixels.
// Blurring a sharp edge with sigma s and keeping alpha > 2.3 % moves it out by 2 s (> 97.7 %: in by 2 s);
// smoothing keeps the half-way line of a blur: jagged edges round off, specks and pinholes go.
function adjustLayer(raw, grow, smooth) {
  let c = raw;
  if (grow) c = blurThreshold(c, Math.abs(grow) / 2, grow > 0 ? 6 : 249);
  if (smooth) c = blurThreshold(c, smooth, 127);
  return c;
}

// Feathering. A layer with feather f keeps its outline fully filled and ramps the fill out to about f px beyond
// it: alpha = max(layer, blur_{f/4}(layer grown by f/2)), about 0.5 at f/2 outside, under 1 % past f. The fill is
// asked for everywhere alpha > 0 (`reach`, white, joins the mask that is sent), then blended
// (featherBlend): out = photo * (1 - alpha) + fill * alpha. Pixels past the reach stay the photo's exactly.
function featheredLayers() {
  const out = [];
  for (let i = state.actions.length - 1; i >= 0; i--) {  // the layers since the last fill
    const a = state.actions[i];
    if (a.type === "fill") break;
    if (a.type !== "layer" || !a.feather) continue;
    const kept = newCanvas(a.canvas.width, a.canvas.height); const kctx = kept.getContext("2d");
    kctx.drawImage(a.canvas, 0, 0);  // the layer as it is painted now: what the eraser took off it stays off
    kctx.globalCompositeOperation = "destination-in"; kctx.drawImage(el.maskCanvas, 0, 0);
    const alpha = blurred(blurThreshold(kept, a.feather / 4, 6), a.feather / 4);
    alpha.getContext("2d").drawImage(kept, 0, 0);  // the outline itself stays opaque
    out.push({ alpha, reach: blurThreshold(alpha, 0, 0, [255, 255, 255]) });
  }
  return out;
}

// The photo `before` with `filled` blended in: the painted mask fully, each feathered layer by its alpha.
function featherBlend(before, filled, feathered) {
  const w = before.width, h = before.height;
  const alpha = holeCanvas().hole; const actx = alpha.getContext("2d");  // opaque where painted (hard)
  for (const f of feathered) actx.drawImage(f.alpha, 0, 0);
  const top = newCanvas(w, h); const tctx = top.getContext("2d");
  tctx.drawImage(filled, 0, 0);
  tctx.globalCompositeOperation = "destination-in"; tctx.drawImage(alpha, 0, 0);
  const out = newCanvas(w, h); const octx = out.getContext("2d");
  octx.drawImage(before, 0, 0); octx.drawImage(top, 0, 0);
  return out;
}
