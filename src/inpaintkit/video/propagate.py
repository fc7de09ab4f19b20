"""Flow-guided filling of a clip, frame by frame, over a sliding window (bounded memory).

For frame ``t`` with hole pixels ``P`` (bool mask ``[H,W]``, True = hole):

1. **Seen background.** Each hole pixel is traced along the completed flow, step by step, into the next
   ``window`` frames and the previous ``window`` frames; the first frame on each side where it lands on a
   pixel known there (at least ``border`` pixels from that frame's hole) gives a real value, read once from
   the *original* frame (bilinear; no blur piles up). When both sides see it, the two values are averaged
   with weights 1/distance — unless they differ by more than ``agree`` grey levels: then the completed flow
   is wrong there (the hidden background moves on its own, or parallax), and the pixel goes to step 3.
   **Ring check:** the known pixels in a ring of ``ring`` pixels around the hole are traced the same way, and
   their traced values compared with their own (known) values; where that error, spread into the hole by a
   push-pull, exceeds ``check`` grey levels on one side, that side's seen values are not trusted there (the
   completed flow is measurably wrong next to them). What neither side can give goes to step 3.
2. **Carried fill.** A pixel seen on neither side takes the value of the previous *output* frame at the
   place the backward flow points to, so a fill moves with the background and a static region stays static.
   When the hole and the flow around it have not moved (a watermark on a still shot), the previous fill is
   copied exactly: filled once, reused. A pixel only seen ``d`` frames ahead is blended from the carried
   value towards the seen one as ``d`` shrinks, so it does not jump.
3. **Keyframe fill.** What is left (never seen and nothing to carry: the first frame, a hole that grows)
   is filled by the image model (``inpaintkit.inference.fill_array``) on the frame with everything found
   so far pasted in, so the model sees the propagated background as context. Its fill is blended with the
   previous output carried along the flow (weight ``1 - smooth`` for the model), which steadies it in time;
   the seen pixels of step 1 are blended with it too (weight ``smooth_seen`` for the carried value).

Known pixels are returned bit-identical. Memory: ``2 * window + 2`` frames with their reduced flows.
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Optional

import cv2
import numpy as np

from inpaintkit.images.mask import grow
from inpaintkit.inference import fill_array
from inpaintkit.video.flow import FlowEstimator, displacement, push_pull, sample

STAGES = ("decode", "flow", "propagate", "fill", "encode")


@dataclass
class VideoFillConfig:
    """Settings of :class:`Propagator` (defaults are the measured ones in docs/video.md)."""

    window: int = 8  # frames looked at on each side for background the hole hides
    flow_scale: float = 0.5  # flow is computed at this fraction of the frame size
    flow_preset: str = "medium"  # DIS preset: ultrafast, fast, medium
    completion: str = "local"  # flow in the hole: local (a homography per part), homography (global), membrane
    border: int = 2  # a source pixel must be this far (pixels) from its own frame's hole
    static_tol: float = 0.1  # hole unchanged and flow below this (pixels): copy the previous fill exactly
    working_size: int = 192  # longest side the image model is given (photos: 512); smaller is steadier, see docs/video.md
    dilate: int = 0  # grow every mask by this many pixels first (object outlines miss shadows and blur)
    propagate: bool = True  # False: the image model on every frame (the baseline)
    agree: float = 16.0  # both sides seen but differing by more (grey levels, mean over RGB): the model fills it
    check: float = 12.0  # ring check: a side whose traced ring pixels err by more (grey levels) is not trusted
    ring: int = 6  # width (pixels) of the ring of known pixels the ring check traces
    smooth: float = 0.3  # the model's fill is blended with the carried previous output by this weight
    smooth_seen: float = 0.15  # so are the seen pixels, by this weight

    def __post_init__(self) -> None:
        if int(self.window) < 0:
            raise ValueError(f"window must be >= 0, got {self.window}")
        if int(self.dilate) < 0:
            raise ValueError(f"dilate must be >= 0, got {self.dilate}")
        if not float(self.agree) >= 0:
            raise ValueError(f"agree must be >= 0 (0: off), got {self.agree}")
        if int(self.border) < 0:
            raise ValueError(f"border must be >= 0, got {self.border}")
        if not float(self.check) >= 0:
            raise ValueError(f"check must be >= 0 (0: off), got {self.check}")
        if int(self.ring) < 1:
            raise ValueError(f"ring must be >= 1 pixel, got {self.ring}")
        for name in ("smooth", "smooth_seen"):
            if not 0 <= float(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)}")


@dataclass
class Stats:
    """Seconds per stage and pixel counts by source, filled in while a clip runs."""

    seconds: dict = field(default_factory=lambda: {s: 0.0 for s in STAGES})
    frames: int = 0
    hole_pixels: int = 0
    seen: int = 0
    carried: int = 0
    reused: int = 0
    model: int = 0
    keyframes: int = 0
    distrusted: int = 0  # seen pixels with a side the ring check refused

    def add(self, stage: str, t0: float) -> float:
        now = time.perf_counter()
        self.seconds[stage] += now - t0
        return now


@dataclass
class _Frame:
    image: np.ndarray  # [H,W,3] uint8
    hole: np.ndarray  # [H,W] bool
    source: np.ndarray  # [H,W] bool: known and at least `border` from the hole (trusted as a source)
    grey: np.ndarray  # [h,w] uint8, reduced, hole pre-filled
    small_hole: np.ndarray  # [h,w] bool, reduced, dilated
    fwd: Optional[np.ndarray] = None  # [h,w,2] flow to the next frame (completed over the hole)
    bwd: Optional[np.ndarray] = None  # [h,w,2] flow to the previous frame


class Propagator:
    """Fill a stream of (frame, mask) pairs; :meth:`run` yields the filled frames in order.

    ``filler`` is anything with the inference contract's ``.fill(image [B,3,H,W], mask [B,1,H,W])``
    (``inpaintkit.inference.load_filler``). ``stats`` collects timings and per-source pixel counts.
    ``flow`` replaces the :class:`~inpaintkit.video.flow.FlowEstimator` built from the config.
    """

    def __init__(self, filler, config: Optional[VideoFillConfig] = None, stats: Optional[Stats] = None, flow=None):
        self.filler = filler
        self.cfg = config or VideoFillConfig()
        self.stats = stats or Stats()
        # anything with FlowEstimator's prepare / flow / scale (the benchmark passes the true clip's flow)
        self.flow = flow or FlowEstimator(self.cfg.flow_scale, self.cfg.flow_preset, completion=self.cfg.completion)

    # --- the stream -------------------------------------------------------------------------------

    def run(self, pairs: Iterable[tuple[np.ndarray, np.ndarray]]) -> Iterator[np.ndarray]:
        """``pairs``: (frame uint8 [H,W,3], hole bool [H,W]); yields uint8 [H,W,3], ``window`` frames behind."""
        win = int(self.cfg.window) if self.cfg.propagate else 0
        buf: deque[_Frame] = deque()
        first = 0  # index of buf[0]
        nxt = 0  # next frame to emit
        prev_out: Optional[np.ndarray] = None
        prev_hole: Optional[np.ndarray] = None
        n = 0
        for image, hole in pairs:
            rec = self._record(image, hole)
            if buf and rec.image.shape != buf[-1].image.shape:
                h0, w0 = buf[-1].image.shape[:2]
                raise ValueError(f"frame {n} is {rec.image.shape[1]}x{rec.image.shape[0]} but the frames before it are "
                                 f"{w0}x{h0}: every frame must have the same size")
            if buf and self.cfg.propagate:
                t0 = time.perf_counter()
                a = buf[-1]
                a.fwd = self.flow.flow(a.grey, rec.grey, a.small_hole)
                rec.bwd = self.flow.flow(rec.grey, a.grey, rec.small_hole)
                self.stats.add("flow", t0)
            buf.append(rec)
            n += 1
            while nxt + win < n:
                out = self._emit(buf, nxt - first, prev_out, prev_hole)
                prev_out, prev_hole = out, buf[nxt - first].hole
                nxt += 1
                while nxt - first > max(win, 1):  # the previous frame stays for its flow
                    buf.popleft()
                    first += 1
                yield out
        while nxt < n:
            out = self._emit(buf, nxt - first, prev_out, prev_hole)
            prev_out, prev_hole = out, buf[nxt - first].hole
            nxt += 1
            yield out

    def _record(self, image: np.ndarray, hole: np.ndarray) -> _Frame:
        image = np.ascontiguousarray(image)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"frames must be uint8 [H,W,3] RGB, got {image.dtype} {image.shape}")
        hole = np.asarray(hole, dtype=bool)
        if hole.shape != image.shape[:2]:
            raise ValueError(f"mask is {hole.shape[1]}x{hole.shape[0]} but the frame is "
                             f"{image.shape[1]}x{image.shape[0]} (width x height)")
        t0 = time.perf_counter()
        if self.cfg.dilate and hole.any():
            hole = grow(hole, int(self.cfg.dilate))
        b = int(self.cfg.border)
        near = cv2.dilate(hole.view(np.uint8), np.ones((2 * b + 1, 2 * b + 1), np.uint8)) > 0 if b else hole
        grey, small = self.flow.prepare(image, hole) if self.cfg.propagate else (None, None)
        self.stats.add("flow", t0)
        return _Frame(image, hole, ~near, grey, small)

    # --- one frame --------------------------------------------------------------------------------

    def _trace(self, buf, t: int, xy: np.ndarray, step: int):
        """Follow ``xy`` [N,2] from ``buf[t]`` one frame at a time in direction ``step`` (+1 / -1).

        Returns (values float32 [N,3], distance int [N], 0 = not seen)."""
        n = len(xy)
        vals = np.zeros((n, 3), np.float32)
        dist = np.zeros(n, np.int32)
        alive = np.arange(n)
        pos = xy.copy()
        s = self.flow.scale
        h, w = buf[t].hole.shape
        for k in range(1, int(self.cfg.window) + 1):
            j = t + step * k
            if j < 0 or j >= len(buf) or alive.size == 0:
                break
            flow = buf[j - step].fwd if step > 0 else buf[j - step].bwd
            if flow is None:
                break
            p = pos[alive] + displacement(flow, pos[alive], s)
            inside = (p[:, 0] > -0.5) & (p[:, 0] < w - 0.5) & (p[:, 1] > -0.5) & (p[:, 1] < h - 0.5)
            alive, p = alive[inside], p[inside]
            xi = np.clip(np.rint(p[:, 0]).astype(np.intp), 0, w - 1)
            yi = np.clip(np.rint(p[:, 1]).astype(np.intp), 0, h - 1)
            hit = buf[j].source[yi, xi]
            if hit.any():
                vals[alive[hit]] = sample(buf[j].image, p[hit]).astype(np.float32)
                dist[alive[hit]] = k
            pos[alive] = p
            alive = alive[~hit]
        return vals, dist

    def _emit(self, buf, t: int, prev_out: Optional[np.ndarray], prev_hole: Optional[np.ndarray]) -> np.ndarray:
        rec = buf[t]
        st = self.stats
        st.frames += 1
        ys, xs = np.nonzero(rec.hole)
        n = len(ys)
        st.hole_pixels += n
        if n == 0:
            return rec.image.copy()
        if not self.cfg.propagate:
            return self._model(rec, rec.image, rec.hole)
        t0 = time.perf_counter()
        xy = np.stack([xs, ys], axis=1).astype(np.float32)
        vf, df = self._trace(buf, t, xy, +1)
        vp, dp = self._trace(buf, t, xy, -1)
        doubt = np.zeros(n, bool)
        if self.cfg.check > 0:
            bad_f, bad_p = self._ring_errors(buf, t, ys, xs)
            bad_f &= df > 0
            bad_p &= dp > 0
            df, dp = np.where(bad_f, 0, df), np.where(bad_p, 0, dp)
            doubt = (bad_f | bad_p) & (df == 0) & (dp == 0)  # the model, not the carried fill
            st.distrusted += int((bad_f | bad_p).sum())
        vals = np.zeros((n, 3), np.float32)
        done = np.zeros(n, bool)
        wf = np.where(df > 0, 1.0 / np.maximum(df, 1), 0.0).astype(np.float32)
        wp = np.where(dp > 0, 1.0 / np.maximum(dp, 1), 0.0).astype(np.float32)
        seen = (df > 0) | (dp > 0)
        vals[seen] = ((vf * wf[:, None] + vp * wp[:, None])[seen] / (wf + wp)[seen, None])
        if self.cfg.agree > 0:  # both sides seen but they disagree: the completed flow is wrong here (or a cut)
            doubt |= (df > 0) & (dp > 0) & (np.abs(vf - vp).mean(1) > float(self.cfg.agree))
            seen &= ~doubt
        done |= seen
        st.seen += int(seen.sum())
        carried = self._carry(rec, prev_out, prev_hole, xy) if prev_out is not None else None
        if carried is not None:
            cval, exact = carried
            future_only = (df > 0) & (dp == 0)  # seen ahead only: ease from the carried value
            a = ((int(self.cfg.window) + 1 - df[future_only]) / (int(self.cfg.window) + 1)).astype(np.float32)
            vals[future_only] = a[:, None] * vals[future_only] + (1 - a[:, None]) * cval[future_only]
            if self.cfg.smooth_seen > 0:  # steady the seen pixels too: a blend with the carried previous output
                b = np.float32(self.cfg.smooth_seen)
                vals[seen] = (1 - b) * vals[seen] + b * cval[seen]
            take = ~done & ~doubt
            vals[take] = cval[take]
            if exact:
                st.reused += int(take.sum())
            else:
                st.carried += int(take.sum())
            done |= take
        st.add("propagate", t0)
        out = rec.image.copy()
        out[ys[done], xs[done]] = np.clip(np.rint(vals[done]), 0, 255).astype(np.uint8)
        src = np.zeros(rec.hole.shape, np.uint8)  # 1 seen, 2 carried, 3 model (for inspection)
        src[ys, xs] = np.where(seen, 1, np.where(done, 2, 3))
        self.last_sources = src
        if not done.all():
            rest = np.zeros_like(rec.hole)
            rest[ys[~done], xs[~done]] = True
            st.model += int((~done).sum())
            out = self._model(rec, out, rest)
            if self.cfg.smooth > 0 and carried is not None:
                a = np.float32(self.cfg.smooth)
                fill = out[ys[~done], xs[~done]].astype(np.float32)
                out[ys[~done], xs[~done]] = np.clip(np.rint((1 - a) * fill + a * carried[0][~done]), 0, 255).astype(np.uint8)
        return out

    def _ring_errors(self, buf, t: int, ys: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ring check: for each hole pixel (``ys``, ``xs``), whether the forward / backward trace is
        distrusted (bool [N] each): the known pixels of a ring around the hole, traced like the hole's, come back
        more than ``check`` grey levels off their own values nearby (the error spread into the hole by push-pull)."""
        rec = buf[t]
        ry, rx = np.nonzero(grow(rec.hole, int(self.cfg.ring)) & ~rec.hole)
        if len(ry) == 0:  # the hole is the whole frame: nothing to check against
            return np.zeros(len(ys), bool), np.zeros(len(ys), bool)
        y0, x0 = int(ry.min()), int(rx.min())
        shape = (int(ry.max()) + 1 - y0, int(rx.max()) + 1 - x0)
        known = rec.image[ry, rx].astype(np.float32)  # [R,3]
        rxy = np.stack([rx, ry], axis=1).astype(np.float32)
        out = []
        for step in (+1, -1):
            vals, dist = self._trace(buf, t, rxy, step)
            ok = dist > 0
            if not ok.any():  # no ring pixel seen on that side: nothing measured, nothing to distrust by
                out.append(np.zeros(len(ys), bool))
                continue
            err = np.zeros(shape, np.float32)
            has = np.zeros(shape, bool)
            err[ry[ok] - y0, rx[ok] - x0] = np.abs(vals[ok] - known[ok]).mean(axis=1)
            has[ry[ok] - y0, rx[ok] - x0] = True
            out.append(push_pull(err, has)[ys - y0, xs - x0] > float(self.cfg.check))
        return out[0], out[1]

    def _carry(self, rec: _Frame, prev_out: np.ndarray, prev_hole: np.ndarray, xy: np.ndarray):
        """Values ``[N,3]`` of the previous output where the backward flow points, and whether it was an
        exact copy (still hole, still flow); None when there is no flow to the previous frame."""
        if rec.bwd is None:
            return None
        d = displacement(rec.bwd, xy, self.flow.scale)
        if prev_hole is not None and np.array_equal(prev_hole, rec.hole):
            if float(np.abs(d).max()) <= self.cfg.static_tol:
                return prev_out[xy[:, 1].astype(np.intp), xy[:, 0].astype(np.intp)].astype(np.float32), True
        return sample(prev_out, xy + d, interpolation=cv2.INTER_CUBIC).astype(np.float32), False

    def _model(self, rec: _Frame, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        """The image model on ``image`` for the ``hole`` pixels (the keyframe fill)."""
        t0 = time.perf_counter()
        out = fill_array(self.filler, image, hole, working_size=int(self.cfg.working_size))
        self.stats.keyframes += 1
        if not self.cfg.propagate:
            self.stats.model += int(hole.sum())
        self.stats.add("fill", t0)
        return out
