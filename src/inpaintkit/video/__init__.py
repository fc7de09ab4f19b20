"""Video inpainting: remove an object or a watermark from a clip, consistent from frame to frame, on a CPU.

Two entry points:

* :func:`fill_video` takes frames and masks as iterables and yields the filled frames one at a time
  (uint8 ``[H,W,3]`` RGB in, the same out; memory does not grow with the clip)::

      from inpaintkit.video import fill_video
      for out in fill_video(frames, mask):   # mask: one for all frames, or one per frame; model: VIDEO_MODEL
          ...

* :func:`fill_video_file` reads a video file or a folder of frames, a mask image / folder / video, and
  writes a video (same frame rate, audio copied where the container allows) or a folder, atomically.
  ``inpaintkit fill-video`` is this function.

How it works (``propagate.py``): background hidden by the hole in one frame but visible in a neighbour is
copied from there along the optical flow (``flow.py``: DIS, completed inside the hole); what is never seen
is filled by the image model once, on a keyframe, and carried along the flow. See docs/video.md.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Iterable, Iterator, Optional

import numpy as np
from PIL import Image

from inpaintkit.video.io import Clip, MaskSource, VideoError, open_clip, open_masks
from inpaintkit.video.propagate import Propagator, Stats, VideoFillConfig
from inpaintkit.video.write import FrameWriter, check_output

# The image model when none is named: ``general``, not the photo default (``general-routed``), whose
# adversarial part paints a different texture on every keyframe it fills (docs/video.md was measured with it).
VIDEO_MODEL = "general"

__all__ = ["Stats", "VideoError", "VideoFillConfig", "fill_video", "fill_video_file", "native_bf16", "video_filler"]


def native_bf16() -> bool:
    """True when this CPU runs bfloat16 matrix work natively (AVX512-BF16 or AMX tiles), where PyTorch's bf16
    autocast fills a frame about 1.8x faster than fp32; False elsewhere (there it would be emulated and slower)."""
    import torch

    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # torch.cpu's own CPU-feature probes
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


def video_filler(model=None, backend: Optional[str] = None):
    """The image model a clip is filled with: ``model`` under ``backend`` as given; when neither is given,
    :data:`VIDEO_MODEL` under ``bf16`` on a CPU with :func:`native_bf16` (its fills differ from fp32 by about
    1/255; the benchmark in docs/video.md measured the same hole PSNR and flicker), else fp32."""
    from inpaintkit.model_spec import load_filler

    if model is None and backend is None and native_bf16():
        backend = "bf16"
    return load_filler(VIDEO_MODEL if model is None else model, backend)


def _is_single_mask(masks) -> bool:
    return (isinstance(masks, (str, os.PathLike, Image.Image))
            or (isinstance(masks, np.ndarray) and masks.ndim == 2))


def _bool_mask(m) -> np.ndarray:
    from inpaintkit.images import mask_to_bool

    return mask_to_bool(m)


def paired(frames: Iterable[np.ndarray], masks, stats: Optional[Stats] = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(frame, bool mask) pairs; one mask for every frame, or exactly one mask per frame (else :class:`VideoError`).

    With ``stats``, the time spent reading frames and masks counts as "decode"."""
    static = _bool_mask(masks) if _is_single_mask(masks) else None
    it_f = iter(frames)
    it_m = None if static is not None else iter(masks)
    i = 0
    while True:
        t0 = time.perf_counter()
        frame = next(it_f, None)
        if frame is None:
            break
        m = static if static is not None else next(it_m, None)
        if stats is not None:
            stats.add("decode", t0)
        if m is None:
            raise VideoError(f"there are more frames than masks ({i} masks)")
        yield frame, (m if static is not None else _bool_mask(m))
        i += 1
    if i == 0:
        raise VideoError("the clip has no frames")
    if it_m is not None and next(it_m, None) is not None:
        raise VideoError(f"there are more masks than frames ({i} frames)")


def fill_video(frames: Iterable[np.ndarray], masks, model=None, *, backend: Optional[str] = None,
               config: Optional[VideoFillConfig] = None, stats: Optional[Stats] = None) -> Iterator[np.ndarray]:
    """Yield the filled frames of ``frames`` (uint8 ``[H,W,3]`` RGB each).

    ``masks``: one mask for every frame (a 2-D array, a PIL image or a file; True / > 127 = hole) or an
    iterable with one mask per frame. ``model``: as ``inpaintkit fill`` (a name, a model file, or an object
    with ``.fill``; None = :data:`VIDEO_MODEL`). ``config``: :class:`VideoFillConfig`. Errors: :class:`VideoError`, and those of
    :func:`inpaintkit.inference.fill_array` (``InpaintError``) for a frame it cannot fill.
    """
    filler = video_filler(model, backend)
    engine = Propagator(filler, config, stats)
    try:
        yield from engine.run(paired(frames, masks, engine.stats))
    except ValueError as e:
        if isinstance(e, VideoError) or type(e) is not ValueError:
            raise
        raise VideoError(str(e)) from None


def _check_same_path(output: Path, *inputs: Path) -> None:
    for src in inputs:
        if output.exists() and output.resolve() == src.resolve():
            raise VideoError(f"refusing to overwrite the input '{src}'; choose another output")


def fill_video_file(input, mask, output, model=None, *, backend: Optional[str] = None,
                    config: Optional[VideoFillConfig] = None, fps: Optional[float] = None,
                    codec: Optional[str] = None, overwrite: bool = False, progress: bool = False,
                    stats: Optional[Stats] = None) -> dict:
    """Fill ``input`` (video file or folder of frames) under ``mask`` (image, folder or video) into ``output``.

    ``output``: a video (``.mp4``, ``.mov``, ``.mkv``, ``.webm``, ``.avi``; ``codec`` overrides the
    container's default) or a folder (``00000.png`` ...). ``fps`` sets the rate of a folder input (25).
    Everything a user can get wrong raises :class:`VideoError` (one line) before any output exists; an
    error while running leaves no output either. Returns a summary: frames, seconds, per-stage seconds,
    pixel counts by source, whether audio was copied.
    """
    input, mask, output = Path(input), Path(mask), Path(output)
    clip: Clip = open_clip(input, fps)
    masks: MaskSource = open_masks(mask)
    if masks.count is not None and clip.count is not None and not clip.is_video and masks.count != clip.count:
        raise VideoError(f"{masks.count} masks in '{mask}' but {clip.count} frames in '{input}'")
    if masks.static:
        masks.masks(clip.size).__next__()  # a mask of another size fails now, before any work
    check_output(output, overwrite, codec)
    _check_same_path(output, input, mask)
    filler = video_filler(model, backend)
    stats = stats or Stats()
    engine = Propagator(filler, config, stats)
    start = time.perf_counter()
    from tqdm import tqdm

    with FrameWriter(output, clip.fps, codec, audio_from=clip.path if clip.has_audio else None) as writer:
        frames = engine.run(paired(clip.frames(), masks.masks(clip.size), stats))
        with tqdm(total=clip.count, unit="frame", disable=not progress, dynamic_ncols=True,
                  desc=input.name[:24]) as bar:
            for out in frames:
                t0 = time.perf_counter()
                writer.write(out)
                stats.add("encode", t0)
                bar.update(1)
        t0 = time.perf_counter()
    stats.add("encode", t0)  # flushing the encoder and renaming
    seconds = time.perf_counter() - start
    return {"frames": stats.frames, "seconds": seconds, "fps": stats.frames / max(seconds, 1e-9),
            "stages": dict(stats.seconds), "hole_pixels": stats.hole_pixels, "seen": stats.seen,
            "carried": stats.carried, "reused": stats.reused, "model": stats.model,
            "keyframes": stats.keyframes, "audio_copied": writer.audio_copied, "output": str(output)}
