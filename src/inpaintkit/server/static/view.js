// inpaintkit page: zoom and pan of the photo (the stage) inside the work area.
//
// The stage is placed at (x, y) in the work area and drawn `scale` screen pixels per image pixel; "fit" is the
// scale that shows the whole photo. Painting converts pointer positions through the stage's own rectangle, so
// strokes land on the pixel under the pointer at any zoom. Wheel (or a touchpad pinch: wheel + Ctrl) zooms
// about the pointer, two fingers pinch and pan, a middle-button drag, Space + drag or the Hand tool (H) pan;
// the buttons and + / - / 0 (fit) / 1 (100 %) zoom about the centre.
"use strict";

const View = {
  fit: 1, scale: 1, x: 0, y: 0, w: 0, h: 0, fitted: true,
  MAX: 32,  // screen pixels per image pixel at most
  get min() { return Math.min(this.fit, 1) / 2; },

  // Image size (w, h) and the work area's size (W, H): fit the photo, keep the zoom unless still fitted.
  layout(w, h, W, H) {
    const sized = w !== this.w || h !== this.h;
    this.w = w; this.h = h; this.W = W; this.H = H;
    const fit = Math.min((W - 32) / w, (H - 32) / h, 4);
    this.fit = fit > 0 ? fit : 1;
    if (sized || this.fitted) this.toFit(); else this.apply();
  },
  toFit() {
    this.fitted = true; this.scale = this.fit;
    this.x = (this.W - this.w * this.scale) / 2; this.y = (this.H - this.h * this.scale) / 2;
    this.apply();
  },
  // Zoom to `scale` keeping the image point under work-area point (px, py) where it is.
  zoomTo(scale, px = this.W / 2, py = this.H / 2) {
    const s = Math.max(this.min, Math.min(this.MAX, scale));
    const qx = (px - this.x) / this.scale, qy = (py - this.y) / this.scale;
    this.scale = s; this.x = px - qx * s; this.y = py - qy * s;
    this.fitted = false;
    this.apply();
  },
  zoomBy(factor, px, py) { this.zoomTo(this.scale * factor, px, py); },
  panBy(dx, dy) { this.x += dx; this.y += dy; this.fitted = false; this.apply(); },
  // Keep at least 48 px of the photo in view, then place the stage.
  apply() {
    const sw = this.w * this.scale, sh = this.h * this.scale, keep = 48;
    this.x = Math.min(this.W - keep, Math.max(keep - sw, this.x));
    this.y = Math.min(this.H - keep, Math.max(keep - sh, this.y));
    const st = el.stage.style;
    st.width = `${sw}px`; st.height = `${sh}px`; st.left = `${this.x}px`; st.top = `${this.y}px`;
    el.stage.classList.toggle("pixelated", this.scale >= 3);
    el.zoomOut.disabled = !state.current || this.scale <= this.min + 1e-9;
    el.zoomIn.disabled = !state.current || this.scale >= this.MAX - 1e-9;
    el.zoomFit.disabled = !state.current;
    el.zoomFit.textContent = state.current ? `${Math.round(100 * this.scale)}%` : "Fit";
    document.body.dataset.zoom = this.scale.toFixed(4);
    updateCursor();
  },
};

// Work-area coordinates of a pointer event.
function inWorkspace(ev) {
  const r = el.workspace.getBoundingClientRect();
  return [ev.clientX - r.left, ev.clientY - r.top];
}

el.workspace.addEventListener("wheel", (ev) => {
  if (!state.current) return;
  ev.preventDefault();
  const [px, py] = inWorkspace(ev);
  const step = ev.deltaMode === 1 ? ev.deltaY * 16 : ev.deltaY;  // lines -> pixels
  View.zoomBy(Math.exp(-step * (ev.ctrlKey ? 0.01 : 0.0015)), px, py);
}, { passive: false });

// Panning: a middle-button drag, Space held + drag, or the Hand tool; two touches pinch.
const pan = { space: false, drag: null, touches: new Map(), pinch: null };

function startPan(ev) {
  pan.drag = { id: ev.pointerId, last: [ev.clientX, ev.clientY] };
  el.workspace.setPointerCapture(ev.pointerId);
  el.workspace.classList.add("panning");
}
function wantsPan(ev) { return ev.button === 1 || (ev.button === 0 && (pan.space || state.tool === "pan")); }

function pinchState() {
  const [a, b] = [...pan.touches.values()];
  return { d: Math.hypot(a[0] - b[0], a[1] - b[1]) || 1, m: [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2] };
}

// Returns true when the event was taken by panning or pinching (app.js then leaves it alone).
function viewPointerDown(ev) {
  if (!state.current) return false;
  if (ev.pointerType === "touch") {
    pan.touches.set(ev.pointerId, inWorkspace(ev));
    if (pan.touches.size === 2) { cancelStroke(); pan.pinch = pinchState(); return true; }
    if (pan.touches.size > 2) return true;
  }
  if (wantsPan(ev)) { ev.preventDefault(); startPan(ev); return true; }
  return false;
}

function viewPointerMove(ev) {
  if (pan.touches.has(ev.pointerId)) {
    pan.touches.set(ev.pointerId, inWorkspace(ev));
    if (pan.pinch && pan.touches.size === 2) {
      const now = pinchState();
      View.panBy(now.m[0] - pan.pinch.m[0], now.m[1] - pan.pinch.m[1]);
      View.zoomBy(now.d / pan.pinch.d, now.m[0], now.m[1]);
      pan.pinch = now;
      return true;
    }
  }
  if (pan.drag && pan.drag.id === ev.pointerId) {
    View.panBy(ev.clientX - pan.drag.last[0], ev.clientY - pan.drag.last[1]);
    pan.drag.last = [ev.clientX, ev.clientY];
    return true;
  }
  return !!pan.pinch;
}

function viewPointerUp(ev) {
  pan.touches.delete(ev.pointerId);
  if (pan.touches.size < 2) pan.pinch = null;
  if (pan.drag && pan.drag.id === ev.pointerId) {
    pan.drag = null; el.workspace.classList.remove("panning");
    return true;
  }
  return false;
}

el.zoomIn.addEventListener("click", () => View.zoomBy(1.5));
el.zoomOut.addEventListener("click", () => View.zoomBy(1 / 1.5));
el.zoomFit.addEventListener("click", () => View.toFit());

// --- compare ---------------------------------------------------------------------------------------------

function setComparing(on) {
  if (on && !state.lastFill) return;
  state.comparing = on;
  el.compare.setAttribute("aria-pressed", String(on));
  el.stage.classList.toggle("comparing", on);
  el.beforeCanvas.hidden = !on; el.compareLine.hidden = !on;
  if (on) { drawImage(el.beforeCanvas, state.lastFill.before.bitmap); setSplit(state.split); }
  updateCursor();
  refresh();
  setStatus(on ? "Comparing: move over the image to slide between before (left) and after (right)."
              : "Paint over what should disappear, then press Fill.");
}

function setSplit(percent) {
  state.split = Math.max(0, Math.min(100, percent));
  el.beforeCanvas.style.clipPath = `inset(0 ${100 - state.split}% 0 0)`;
  el.compareLine.style.left = `${state.split}%`;
}

