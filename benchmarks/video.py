"""Video inpainting against per-frame filling, side by side in one run (not a timed test).

On the clean clips of ``../shared/data/video/clean`` it puts synthetic holes — two moving blobs (about 5 %
of the frame) and a static box (a watermark) — and compares, per clip and hole kind:

* ``video``: ``inpaintkit.video`` (flow-guided propagation + keyframe fill with the bundled model);
* ``video/fast``: the default of 2026-12-03: DIS "fast", one global homography in the hole, only the model's
  fill smoothed (``flow_preset="fast", completion="homography", smooth_seen=0``);
* ``video/no-ring``: that without the ring check and the smoothing of the model's fill (``check=0,
  smooth=0``: the default of 2026-12-02);
* ``video/no-check``: that without any check (``agree=0, check=0, smooth=0``: whatever is seen is blended in);
* ``video/true-flow``: the same with the clean clip's own flow instead of the completed one — not a method
  (it looks at the truth) but the bound a perfect flow completion would reach;
* ``model/frame``: the bundled image model on every frame on its own;
* ``telea/frame``: OpenCV Telea on every frame.

Figures: hole PSNR (dB, mean over frames of the PSNR over the hole pixels), hole SSIM (the SSIM map of
``skimage.metrics.structural_similarity`` averaged over the hole pixels, mean over frames) and flicker
(mean |out_t - warp(out_{t-1})| inside the hole, grey levels, where the warp is the *true* clip's flow:
DIS "medium" at full size on the clean frames, pixels failing a forward-backward check left out; the
``truth`` row is the same figure for the clean clip itself, the floor). Then frames/s per stage (decode,
flow, propagate, fill, encode) at 854x480 for a 5 % moving mask, mp4 in and out; peak memory (RSS) of a
short clip and of the same clip looped to 10x its length (each in a fresh process); and before/after
strips of the real ``object_removal`` clips (``--strips DIR``).

    python benchmarks/video.py                                  # print the tables
    python benchmarks/video.py --markdown docs/video.md --strips docs/img/video
    python benchmarks/video.py --frames 12 --clips libby        # a quick look
    python benchmarks/video.py --methods video,video/fast --no-speed --no-memory   # a subset (model/frame is
                                                                # always run: the ratios are against it)

``--markdown FILE`` replaces the section between ``<!-- video_bench:begin -->`` and ``<!-- video_bench:end -->``.
Other processes slow every speed figure down; the header records the load average.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image
from skimage.metrics import structural_similarity

from inpaintkit.images import read_image, read_mask
from inpaintkit.inference import fill_array
from inpaintkit.model_spec import load_filler
from inpaintkit.video import Stats, VideoFillConfig, fill_video, fill_video_file, paired, video_filler
from inpaintkit.video.flow import warp
from inpaintkit.video.io import list_frames
from inpaintkit.video.write import FrameWriter
from inpaintkit.video.propagate import Propagator

sys.path.append(str(Path(__file__).resolve().parent))  # benchmarks/, for the shared helper (last: shadows nothing)
from _sections import write_section  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "video"
SECTION = "video_bench"  # the marked section of --markdown FILE (_sections.py)
METHODS = ("video", "video/fast", "video/no-ring", "video/no-check", "video/true-flow", "model/frame", "telea/frame")
_OLD = dict(flow_preset="fast", completion="homography", smooth_seen=0)  # the flow and smoothing of 2026-12-03
VARIANTS = {"video/fast": VideoFillConfig(**_OLD), "video/no-ring": VideoFillConfig(**_OLD, check=0, smooth=0),
            "video/no-check": VideoFillConfig(**_OLD, agree=0, check=0, smooth=0)}


# --- holes -------------------------------------------------------------------------------------------


def moving_blobs(t: int, h: int, w: int, area: float = 0.05) -> np.ndarray:
    """Two ellipses (together ``area`` of the frame) moving and bouncing at 5-7 px per frame: bool [h,w]."""
    m = np.zeros((h, w), np.uint8)
    r = np.sqrt(area * h * w / (2 * np.pi * 1.5))  # each ellipse: pi * 1.5r * r = area / 2
    for (x0, y0, vx, vy) in ((0.3, 0.4, 6.0, 2.0), (0.7, 0.6, -5.0, 3.0)):
        x = _bounce(x0 * w + vx * t, 1.5 * r, w - 1.5 * r)
        y = _bounce(y0 * h + vy * t, r, h - r)
        cv2.ellipse(m, (int(round(x)), int(round(y))), (int(1.5 * r), int(r)), 15.0, 0, 360, 1, -1)
    return m > 0


def _bounce(v: float, lo: float, hi: float) -> float:
    span = hi - lo
    k = (v - lo) % (2 * span)
    return lo + (k if k <= span else 2 * span - k)


def static_box(h: int, w: int) -> np.ndarray:
    m = np.zeros((h, w), bool)
    m[int(0.72 * h): int(0.9 * h), int(0.62 * w): int(0.9 * w)] = True  # a logo in the lower right corner
    return m


# --- metrics -----------------------------------------------------------------------------------------


def hole_psnr(a: np.ndarray, b: np.ndarray, m: np.ndarray) -> float:
    mse = float(np.mean((a[m].astype(np.float64) - b[m].astype(np.float64)) ** 2))
    return 10 * np.log10(255.0 ** 2 / max(mse, 1e-10))


def hole_ssim(a: np.ndarray, b: np.ndarray, m: np.ndarray) -> float:
    ys, xs = np.nonzero(m)
    y0, y1 = max(0, ys.min() - 8), min(m.shape[0], ys.max() + 9)
    x0, x1 = max(0, xs.min() - 8), min(m.shape[1], xs.max() + 9)
    _, smap = structural_similarity(a[y0:y1, x0:x1], b[y0:y1, x0:x1], gaussian_weights=True, sigma=1.5,
                                    use_sample_covariance=False, data_range=255, channel_axis=-1, full=True)
    return float(smap.mean(axis=2)[m[y0:y1, x0:x1]].mean())


def true_flows(truth: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """For t >= 1: (flow t -> t-1 [H,W,2], valid bool [H,W]) on the clean frames (forward-backward check < 1 px)."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in truth]
    out = []
    for t in range(1, len(truth)):
        back = dis.calc(grey[t], grey[t - 1], None)
        fwd = dis.calc(grey[t - 1], grey[t], None)
        roundtrip = back + warp(fwd, back)
        out.append((back, np.linalg.norm(roundtrip, axis=2) < 1.0))
    return out


def flicker(frames: list[np.ndarray], masks: list[np.ndarray], flows) -> float:
    errs = []
    for t in range(1, len(frames)):
        back, valid = flows[t - 1]
        sel = masks[t] & valid
        if sel.any():
            prev = warp(frames[t - 1].astype(np.float32), back)
            errs.append(float(np.abs(frames[t].astype(np.float32) - prev)[sel].mean()))
    return float(np.mean(errs))


# --- runs ---------------------------------------------------------------------------------------------


class TrueFlow:
    """The clean clip's flow (DIS "medium", half size) in place of the completed one: what ``video`` would
    reach with a perfect flow completion (an upper bound, not a method: it looks at the truth)."""

    scale = 0.5

    def __init__(self, truth: list[np.ndarray]):
        h, w = truth[0].shape[:2]
        self.grey = [cv2.resize(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), (round(w * self.scale), round(h * self.scale)),
                                interpolation=cv2.INTER_AREA) for f in truth]
        self.dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        self.n = 0

    def prepare(self, frame, hole):  # the "grey frame" handed back is the frame's index
        self.n += 1
        return np.full((1, 1), self.n - 1, np.int64), None

    def flow(self, a, b, hole=None):
        return self.dis.calc(self.grey[int(a[0, 0])], self.grey[int(b[0, 0])], None)


def run_methods(frames, masks, filler, telea, truth, methods=METHODS) -> dict[str, tuple[list[np.ndarray], float]]:
    """Each method's (of ``methods``) output frames and seconds per frame."""
    res = {}
    t0 = time.perf_counter()
    if "video" in methods:
        res["video"] = (list(fill_video(frames, masks, filler)), (time.perf_counter() - t0) / len(frames))
    for name, cfg in VARIANTS.items():
        if name not in methods:
            continue
        t0 = time.perf_counter()
        res[name] = (list(fill_video(frames, masks, filler, config=cfg)), (time.perf_counter() - t0) / len(frames))
    t0 = time.perf_counter()
    if "video/true-flow" in methods:
        engine = Propagator(filler, flow=TrueFlow(truth))
        res["video/true-flow"] = (list(engine.run(paired(frames, masks))), (time.perf_counter() - t0) / len(frames))
    for name, f in (("model/frame", filler), ("telea/frame", telea)):
        if name not in methods:
            continue
        t0 = time.perf_counter()
        outs = [fill_array(f, fr, m) for fr, m in zip(frames, masks)]
        res[name] = (outs, (time.perf_counter() - t0) / len(frames))
    return res


def quality(clips: list[Path], n: int, filler, telea, methods=METHODS) -> list[dict]:
    rows = []
    for clip in clips:
        files = list_frames(clip)[:n]
        truth = [read_image(p) for p in files]
        h, w = truth[0].shape[:2]
        flows = true_flows(truth)
        for kind in ("moving", "static"):
            masks = [moving_blobs(t, h, w) if kind == "moving" else static_box(h, w) for t in range(len(truth))]
            frames = []
            for f, m in zip(truth, masks):
                g = f.copy()
                g[m] = (255, 0, 255)  # what the methods must not see
                frames.append(g)
            for name, (outs, spf) in run_methods(frames, masks, filler, telea, truth, methods).items():
                rows.append({"clip": clip.name, "kind": kind, "method": name,
                             "psnr": float(np.mean([hole_psnr(o, g, m) for o, g, m in zip(outs, truth, masks)])),
                             "ssim": float(np.mean([hole_ssim(o, g, m) for o, g, m in zip(outs, truth, masks)])),
                             "flicker": flicker(outs, masks, flows), "ms": 1000 * spf})
            rows.append({"clip": clip.name, "kind": kind, "method": "truth", "psnr": float("nan"),
                         "ssim": float("nan"), "flicker": flicker(truth, masks, flows), "ms": float("nan")})
            print(f"  {clip.name} {kind}: done", file=sys.stderr)
    return rows


def speed(clip: Path, n: int) -> dict:
    """fill-video from an mp4 with a 5 % moving mask video to an mp4; seconds per stage."""
    files = list_frames(clip)[:n]
    with tempfile.TemporaryDirectory() as tmp:
        first = read_image(files[0])
        h, w = first.shape[:2]
        with FrameWriter(Path(tmp) / "in.mp4", fps=25) as wr:
            for p in files:
                wr.write(read_image(p))
        with FrameWriter(Path(tmp) / "mask.mp4", fps=25, crf=0) as wr:
            for t in range(len(files)):
                wr.write(np.repeat(moving_blobs(t, h, w)[..., None] * np.uint8(255), 3, axis=2))
        stats = Stats()
        res = fill_video_file(Path(tmp) / "in.mp4", Path(tmp) / "mask.mp4", Path(tmp) / "out.mp4", stats=stats)
    res["size"] = f"{w}x{h}"
    res["hole"] = stats.hole_pixels / (stats.frames * h * w)
    return res


def memory_child(clip: Path, n: int) -> None:
    """Fill ``n`` frames (the clip looped) from disk to an mp4 in a temporary folder; print peak RSS in MB."""
    torch.set_num_threads(1)
    files = list_frames(clip)
    h, w = read_image(files[0]).shape[:2]
    frames = (read_image(files[t % len(files)]) for t in range(n))
    masks = (moving_blobs(t, h, w) for t in range(n))
    with tempfile.TemporaryDirectory() as tmp, FrameWriter(Path(tmp) / "out.mp4", fps=25) as wr:
        for out in fill_video(frames, masks):
            wr.write(out)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0)


def memory(clip: Path, n: int) -> tuple[float, float]:
    peaks = []
    for count in (n, 10 * n):
        r = subprocess.run([sys.executable, __file__, "--memory-child", str(count), "--clip-path", str(clip)],
                           capture_output=True, text=True, check=True)
        peaks.append(float(r.stdout.strip().splitlines()[-1]))
    return peaks[0], peaks[1]


# --- strips --------------------------------------------------------------------------------------------


def strips(out_dir: Path, filler, dilate: int = 4, picks: int = 3, width: int = 200, data: Path = DATA) -> list[Path]:
    """Input (hole tinted), per-frame model, and video fill, for ``picks`` frames of each object_removal clip."""
    written = []
    for seq in sorted((data / "object_removal").iterdir()):
        files, mfiles = list_frames(seq / "frames"), list_frames(seq / "masks")
        frames = [read_image(p) for p in files]
        kern = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * dilate + 1,) * 2)
        masks = [cv2.dilate(read_mask(p).view(np.uint8), kern) > 0 for p in mfiles]
        ours = list(fill_video(frames, masks, filler))
        idx = np.linspace(0, len(frames) - 1, picks + 2).round().astype(int)[1:-1]
        rows = [[], [], []]
        for i in idx:
            tint = frames[i].copy()
            tint[masks[i]] = (0.5 * tint[masks[i]] + (0, 0, 127)).astype(np.uint8)
            rows[0].append(tint)
            rows[1].append(fill_array(filler, frames[i], masks[i]))
            rows[2].append(ours[i])
        h, w = frames[0].shape[:2]
        size = (width, int(round(h * width / w)))
        grid = np.concatenate([np.concatenate([cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in r], 1)
                               for r in rows], 0)
        path = out_dir / f"{seq.name}.png"
        out_dir.mkdir(parents=True, exist_ok=True)
        Image.fromarray(grid).quantize(128, dither=Image.Dither.NONE).save(path, optimize=True)
        written.append(path)
        print(f"  strip {path} ({path.stat().st_size // 1024} KB)", file=sys.stderr)
    return written


# --- report --------------------------------------------------------------------------------------------


def report(rows, spd, mem, n, threads, methods=METHODS, precision="fp32") -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
             f"{threads} torch thread(s), load average {load:.1f} at the start; first {n} frames of each clip; "
             f"image model {precision} (the default's, for every method).", ""]
    for kind in ("moving", "static"):
        lines += [f"**{kind} holes**" + (" (two blobs, 5 % of the frame)" if kind == "moving" else
                                        " (one box, 5 % of the frame, lower right)"), "",
                  "| clip | method | hole PSNR dB | hole SSIM | flicker | ms/frame |", "|---|---|---|---|---|---|"]
        sel = [r for r in rows if r["kind"] == kind]
        for clip in dict.fromkeys(r["clip"] for r in sel):
            for r in (r for r in sel if r["clip"] == clip):
                def f(v, fmt):
                    return "" if v != v else format(v, fmt)
                lines.append(f"| {clip} | {r['method']} | {f(r['psnr'], '.2f')} | {f(r['ssim'], '.3f')} | "
                             f"{f(r['flicker'], '.2f')} | {f(r['ms'], '.0f')} |")
        mean = {m: {k: float(np.mean([r[k] for r in sel if r["method"] == m])) for k in ("psnr", "ssim", "flicker")}
                for m in (*methods, "truth")}
        for m in methods:
            lines.append(f"| **mean** | {m} | {mean[m]['psnr']:.2f} | {mean[m]['ssim']:.3f} | {mean[m]['flicker']:.2f} | |")
        lines.append(f"| **mean** | truth | | | {mean['truth']['flicker']:.2f} | |")
        pf = mean["model/frame"]
        for m in (m for m in ("video", *VARIANTS, "video/true-flow") if m in methods):
            lines += ["", f"{m} vs per-frame model ({kind}): hole PSNR {mean[m]['psnr'] - pf['psnr']:+.2f} dB "
                      f"(target +2), flicker x{mean[m]['flicker'] / pf['flicker']:.2f} (target <= 0.5)."]
        lines.append("")
    if spd is None:
        return "\n".join(lines)
    st = spd["stages"]
    nf = spd["frames"]
    lines += [f"**speed**: {spd['size']}, {nf} frames, {100 * spd['hole']:.1f} % moving hole, mp4 in and out: "
              f"**{spd['fps']:.1f} frames/s** overall (target 5).", "",
              "| stage | ms/frame | frames/s |", "|---|---|---|"]
    for k in ("decode", "flow", "propagate", "fill", "encode"):
        ms = 1000 * st[k] / nf
        lines.append(f"| {k} | {ms:.1f} | {1000 / ms if ms > 0 else float('inf'):.0f} |")
    lines += ["", f"keyframe fills by the image model: {spd['keyframes']} of {nf} frames; hole pixels seen in other "
              f"frames {100 * spd['seen'] / max(1, spd['hole_pixels']):.0f} %, carried "
              f"{100 * spd['carried'] / max(1, spd['hole_pixels']):.0f} %, model {100 * spd['model'] / max(1, spd['hole_pixels']):.0f} %.", ""]
    if mem:
        lines += [f"**memory** (peak RSS, fresh process, model loaded): {mem[2]} frames {mem[0]:.0f} MB, "
                  f"{10 * mem[2]} frames {mem[1]:.0f} MB ({100 * (mem[1] / mem[0] - 1):+.1f} %, target within 10 %).", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--frames", type=int, default=24, help="first N frames of each clean clip")
    ap.add_argument("--clips", default="", help="comma-separated clean clips (default: all)")
    ap.add_argument("--methods", default="", help=f"comma-separated subset of {','.join(METHODS)} (default: all; "
                    "model/frame is always run)")
    ap.add_argument("--no-speed", action="store_true", help="skip the speed and memory lines")
    ap.add_argument("--threads", type=int, default=1, help="torch threads")
    ap.add_argument("--speed-clip", default="kite-surf")
    ap.add_argument("--memory-frames", type=int, default=16, help="short clip length (the long one is 10x)")
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--markdown", type=Path)
    ap.add_argument("--strips", type=Path, help="write before/after strips of the object_removal clips here")
    ap.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--clip-path", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_child:
        memory_child(args.clip_path, args.memory_child)
        return
    clean = args.data / "clean"
    if not clean.is_dir():
        print(f"skipped: no clips at {clean} (the benchmark needs ../shared/data/video)")
        return
    torch.set_num_threads(args.threads)
    names = [c for c in args.clips.split(",") if c] or sorted(p.name for p in clean.iterdir() if p.is_dir())
    methods = tuple(m for m in METHODS if m in args.methods.split(",") or m == "model/frame") if args.methods else METHODS
    unknown = set(args.methods.split(",")) - set(METHODS) - {""}
    if unknown:
        ap.error(f"unknown method(s) {', '.join(sorted(unknown))}; choose from {', '.join(METHODS)}")
    filler, telea = video_filler(), load_filler("telea")  # the default: bf16 where the CPU runs it natively
    rows = quality([clean / c for c in names], args.frames, filler, telea, methods)
    spd = mem = None
    if not args.no_speed:
        print("  speed...", file=sys.stderr)
        spd = speed(clean / args.speed_clip, 40)
    if not args.no_memory and not args.no_speed:
        print("  memory...", file=sys.stderr)
        mem = (*memory(clean / args.speed_clip, args.memory_frames), args.memory_frames)
    text = report(rows, spd, mem, args.frames, args.threads, methods, "bf16" if getattr(filler, "bf16", False) else "fp32")
    print(text)
    if args.strips:
        strips(args.strips, filler, data=args.data)
    if args.markdown:
        write_section(args.markdown, SECTION, text)
        print(f"wrote {args.markdown}", file=sys.stderr)


if __name__ == "__main__":
    main()
