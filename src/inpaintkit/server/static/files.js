// inpaintkit page: opening a photo or a mask file (the button, the file input, or a drop anywhere on the page).
"use strict";

// --- opening files ---------------------------------------------------------------------------------------

async function decode(file) {
  try {
    return await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch (_) {
    throw new Error(`"${file.name}" is not an image this browser can open.`);
  }
}

async function openImage(file) {
  if (!file || state.busy) return;
  hideError();
  const lim = state.limits;
  try {
    if (lim && file.size > lim.max_upload_mb * 1048576) {
      throw new Error(`"${file.name}" is ${(file.size / 1048576).toFixed(1)} MB; this server accepts up to ${lim.max_upload_mb} MB.`);
    }
    const bitmap = await decode(file);
    if (lim && bitmap.width * bitmap.height > lim.max_pixels) {
      throw new Error(`"${file.name}" is ${bitmap.width}x${bitmap.height} pixels; this server accepts up to ${lim.max_pixels.toLocaleString()} pixels.`);
    }
    state.base = { blob: file, bitmap, name: file.name.replace(/\.[^.]*$/, "") || "image" };
    View.w = 0;  // a new photo opens fitted
    state.current = null; state.actions = []; state.redoStack = [];
    if (state.comparing) setComparing(false);
    el.maskCanvas.width = bitmap.width; el.maskCanvas.height = bitmap.height;
    el.dropzone.hidden = true; el.stage.hidden = false;
    replay(); layout();
    setStatus(`${file.name}: ${bitmap.width}x${bitmap.height}. Paint over what should disappear, then press Fill.`);
  } catch (e) {
    showError(e.message);
  }
}

// A mask file: white (>127) = hole, or, when it has transparency, opaque = hole (the server's rule).
async function openMask(file) {
  if (!file || !state.current || state.busy) return;
  hideError();
  try {
    const bitmap = await decode(file);
    const { width: w, height: h } = state.current.bitmap;
    if (bitmap.width !== w || bitmap.height !== h) {
      throw new Error(`The mask is ${bitmap.width}x${bitmap.height} but the image is ${w}x${h}; they must be the same size.`);
    }
    const c = document.createElement("canvas"); c.width = w; c.height = h;
    const ctx = c.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(bitmap, 0, 0);
    const d = ctx.getImageData(0, 0, w, h); const px = d.data;
    let transparent = false;
    for (let i = 3; i < px.length; i += 4) if (px[i] < 255) { transparent = true; break; }
    let holes = 0;
    for (let i = 0; i < px.length; i += 4) {
      const hole = maskIsHole(px[i], px[i + 1], px[i + 2], px[i + 3], transparent); holes += hole;
      px[i] = 255; px[i + 1] = 48; px[i + 2] = 96; px[i + 3] = hole ? 255 : 0;
    }
    ctx.putImageData(d, 0, 0);
    push({ type: "mask", canvas: c }); clearMask(); maskCtx.drawImage(c, 0, 0);
    setStatus(`Mask ${file.name}: ${holes.toLocaleString()} pixels to fill.`);
  } catch (e) {
    showError(e.message);
  }
}

// Drag and drop anywhere on the page.
let dragDepth = 0;
window.addEventListener("dragenter", (ev) => { ev.preventDefault(); dragDepth++; el.dropOverlay.hidden = false; });
window.addEventListener("dragleave", () => { if (--dragDepth <= 0) { dragDepth = 0; el.dropOverlay.hidden = true; } });
window.addEventListener("dragover", (ev) => ev.preventDefault());
window.addEventListener("drop", (ev) => {
  ev.preventDefault(); dragDepth = 0; el.dropOverlay.hidden = true;
  const file = [...(ev.dataTransfer?.files || [])].find((f) => f.type.startsWith("image/")) || ev.dataTransfer?.files[0];
  if (file) openImage(file);
});
