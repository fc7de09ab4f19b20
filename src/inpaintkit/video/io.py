"""Reading clips: a video file (PyAV, which brings its own ffmpeg) or a folder of frames; mask sources.

Writing (atomic outputs) is in :mod:`inpaintkit.video.write`.

Frames are uint8 RGB arrays ``[H, W, 3]`` and masks bool arrays ``[H, W]`` (True = hole, the image rule:
grey > 127, or opaque where the mask has transparency). Everything is streamed: a reader yields one frame
at a time and a writer takes one at a time, so memory does not depend on the clip's length.

Folders of frames work without PyAV; video files need the ``video`` extra (``pip install 'inpaintkit[video]'``).
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

from inpaintkit.errors import InpaintkitError
from inpaintkit.images import IMAGE_SUFFIXES, ImageReadError, list_images, read_image, read_mask

FRAME_SUFFIXES = IMAGE_SUFFIXES  # frames are image files
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi")
# container (from the output suffix) -> (ffmpeg format, default video codec, audio codecs it takes as they are)
CONTAINERS = {
    ".mp4": ("mp4", "libx264", {"aac", "mp3", "opus", "alac", "ac3"}),
    ".m4v": ("mp4", "libx264", {"aac", "mp3", "alac", "ac3"}),
    ".mov": ("mov", "libx264", {"aac", "mp3", "alac", "pcm_s16le", "ac3"}),
    ".mkv": ("matroska", "libx264", None),  # None: Matroska takes any audio codec
    ".webm": ("webm", "libvpx-vp9", {"opus", "vorbis"}),
    ".avi": ("avi", "mpeg4", {"mp3", "ac3", "pcm_s16le"}),
}
DEFAULT_FPS = 25.0


class VideoError(InpaintkitError, ValueError):
    """A clip, mask or output that cannot be used; the message is one line."""


def _av():
    try:
        import av
    except ImportError:  # pragma: no cover - the extra is installed in CI
        raise VideoError("video files need PyAV: pip install 'inpaintkit[video]' (folders of frames work without it)") from None
    return av


def is_video_file(path) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def list_frames(folder) -> list[Path]:
    """The image files of ``folder`` in name order (hidden files skipped)."""
    return list_images(folder)


@dataclass
class Clip:
    """A readable clip: ``frames()`` yields uint8 ``[H,W,3]`` RGB; ``count`` is None when the container does not say."""

    path: Path
    fps: float
    size: tuple[int, int]  # (width, height) of the first frame
    count: Optional[int]
    is_video: bool
    has_audio: bool = False

    def frames(self) -> Iterator[np.ndarray]:
        first = None
        for i, frame in enumerate(_frames_of(self.path, self.is_video)):
            shape = frame.shape[:2]
            if first is None:
                first = shape
            elif shape != first:
                raise VideoError(f"frame {i} of '{self.path}' is {shape[1]}x{shape[0]} but the first frame is "
                                 f"{first[1]}x{first[0]}: every frame must have the same size")
            yield frame


def _frames_of(path: Path, is_video: bool) -> Iterator[np.ndarray]:
    if not is_video:
        for p in list_frames(path):
            yield read_image(p)
        return
    av = _av()
    with _open_container(path) as box:
        stream = box.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            for frame in box.decode(stream):
                yield frame.to_ndarray(format="rgb24")
        except av.FFmpegError as e:
            raise VideoError(f"cannot decode '{path}': {e}") from None


@contextlib.contextmanager
def _open_container(path: Path):
    av = _av()
    try:
        box = av.open(str(path))
    except (av.FFmpegError, OSError) as e:
        reason = getattr(e, "strerror", None) or str(e).splitlines()[0]
        raise VideoError(f"cannot read video '{path}': {reason}") from None
    try:
        if not box.streams.video:
            raise VideoError(f"'{path}' has no video stream")
        yield box
    finally:
        box.close()


def open_clip(path, fps: Optional[float] = None) -> Clip:
    """Open ``path`` (a video file or a folder of frames) and read its first frame to learn the size.

    Raises :class:`VideoError` (one line) for a missing path, an unreadable video, or a clip with no frame.
    """
    path = Path(path)
    if not path.exists():
        raise VideoError(f"input not found: '{path}'")
    if path.is_dir():
        files = list_frames(path)
        if not files:
            raise VideoError(f"'{path}' holds no frames ({', '.join(FRAME_SUFFIXES)})")
        h, w = read_image(files[0]).shape[:2]
        return Clip(path, float(fps or DEFAULT_FPS), (w, h), len(files), False)
    if not is_video_file(path):
        raise VideoError(f"'{path}' is not a video ({', '.join(VIDEO_SUFFIXES)}) or a folder of frames")
    with _open_container(path) as box:
        stream = box.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or Fraction(DEFAULT_FPS)
        count = int(stream.frames) or None
        has_audio = bool(box.streams.audio)
        try:
            first = next(iter(box.decode(stream)), None)
        except _av().FFmpegError as e:
            raise VideoError(f"cannot decode '{path}': {e}") from None
        if first is None:
            raise VideoError(f"'{path}' has no frames")
        return Clip(path, float(fps or rate), (first.width, first.height), count, True, has_audio)


# --- masks -------------------------------------------------------------------------------------------


@dataclass
class MaskSource:
    """Masks for a clip: one image for every frame (``static``), a folder, or a video; ``count`` None = any."""

    path: Path
    kind: str  # "image", "folder" or "video"
    count: Optional[int]

    @property
    def static(self) -> bool:
        return self.kind == "image"

    def masks(self, size: tuple[int, int]) -> Iterator[np.ndarray]:
        """Yield bool ``[H,W]`` masks (True = hole) for frames of ``size`` (width, height); a static one forever."""
        w, h = size

        def check(m: np.ndarray, i: int) -> np.ndarray:
            if m.shape != (h, w):
                where = "the mask" if self.static else f"mask {i}"
                raise VideoError(f"{where} is {m.shape[1]}x{m.shape[0]} but the frames are {w}x{h} (width x height)")
            return m

        if self.kind == "image":
            m = check(read_mask(self.path), 0)
            m.setflags(write=False)
            while True:
                yield m
        elif self.kind == "folder":
            for i, p in enumerate(list_frames(self.path)):
                yield check(read_mask(p), i)
        else:
            for i, frame in enumerate(_frames_of(self.path, True)):
                yield check(frame.max(axis=2) > 127, i)


def open_masks(path) -> MaskSource:
    """Open a mask image, a folder of per-frame masks (name order) or a mask video."""
    path = Path(path)
    if not path.exists():
        raise VideoError(f"mask not found: '{path}'")
    if path.is_dir():
        files = list_frames(path)
        if not files:
            raise VideoError(f"mask folder '{path}' holds no images")
        return MaskSource(path, "folder", len(files))
    if is_video_file(path):
        with _open_container(path) as box:
            return MaskSource(path, "video", int(box.streams.video[0].frames) or None)
    try:
        read_mask(path)
    except ImageReadError as e:
        raise VideoError(str(e)) from None
    return MaskSource(path, "image", None)
