"""Writing clips atomically: a video (PyAV) or a folder of frames.

Outputs are atomic: a video is written to a hidden temporary file beside the target
(:func:`inpaintkit.fileio.atomic_path`) and a folder of frames into a hidden temporary folder, renamed to
the target only when the last frame is in. An error or Ctrl-C removes the temporary and leaves no output.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

from inpaintkit.fileio import atomic_path
from inpaintkit.video.io import CONTAINERS, FRAME_SUFFIXES, VIDEO_SUFFIXES, VideoError, _av


def check_output(path, overwrite: bool = False, codec: Optional[str] = None) -> str:
    """Check that ``path`` can be written before any work; returns ``"folder"`` or ``"video"``."""
    path = Path(path)
    kind = "video" if path.suffix.lower() in CONTAINERS else "folder"
    if path.suffix and kind == "folder" and not path.is_dir():
        if path.suffix.lower() in FRAME_SUFFIXES or path.suffix.lower() in VIDEO_SUFFIXES:
            raise VideoError(f"cannot write '{path}': give a video ({', '.join(CONTAINERS)}) or a folder")
    if path.exists():
        if not overwrite:
            raise VideoError(f"'{path}' exists; add --overwrite to replace it")
        if kind == "video" and path.is_dir():
            raise VideoError(f"'{path}' is a folder; give a video file name")
        if kind == "folder" and not path.is_dir():
            raise VideoError(f"'{path}' is a file; give a folder for frames")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise VideoError(f"cannot write '{path}': '{parent}' is a file, not a folder")
            break
    if kind == "video":
        av = _av()
        name = codec or CONTAINERS[path.suffix.lower()][1]
        try:
            av.codec.Codec(name, "w")
        except (av.FFmpegError, ValueError):
            raise VideoError(f"codec '{name}' cannot be written by this PyAV build") from None
    return kind


class FrameWriter:
    """Write frames to a video or a folder atomically; use as a context manager.

    ``write(frame [H,W,3] uint8 RGB)``; on leaving the block without an error the output appears at ``path``
    (a folder: ``00000.png``, ...; a video: same frame rate, audio copied from ``audio_from`` when the
    container takes its codec). With an error nothing is left behind.
    """

    def __init__(self, path, fps: float, codec: Optional[str] = None, audio_from=None, frame_format: str = "png",
                 crf: int = 18):
        self.path = Path(path)
        self.kind = "video" if self.path.suffix.lower() in CONTAINERS else "folder"
        self.fps, self.codec, self.audio_from, self.crf = fps, codec, audio_from, crf
        self.frame_format = frame_format
        self.count = 0
        self.audio_copied = False
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> "FrameWriter":
        try:
            if self.kind == "folder":
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.{os.getpid()}.", suffix=".tmp",
                                                  dir=self.path.parent))
            else:
                self._tmp = Path(self._stack.enter_context(atomic_path(self.path)))
        except BaseException:
            self._stack.close()
            raise
        self._box = None
        return self

    def _open_video(self, w: int, h: int) -> None:
        av = _av()
        fmt, default_codec, audio_ok = CONTAINERS[self.path.suffix.lower()]
        self._box = av.open(str(self._tmp), "w", format=fmt)
        rate = Fraction(self.fps).limit_denominator(1001)
        stream = self._box.add_stream(self.codec or default_codec, rate=rate)
        stream.width, stream.height = w, h
        even = w % 2 == 0 and h % 2 == 0
        if not even:  # 4:2:0 needs even sides: keep the size with 4:4:4 where the codec has it
            formats = {f.name for f in (stream.codec_context.codec.video_formats or ())}
            if "yuv444p" not in formats:
                raise VideoError(f"codec '{stream.codec_context.name}' needs an even width and height, the frames "
                                 f"are {w}x{h}; write .mp4 or .mkv (libx264) instead")
        stream.pix_fmt = "yuv420p" if even else "yuv444p"
        if stream.codec_context.name in ("libx264", "libx265"):
            stream.options = {"crf": str(self.crf), "preset": "veryfast"}
        elif stream.codec_context.name == "libvpx-vp9":
            stream.options = {"crf": "30", "b": "0", "deadline": "realtime", "cpu-used": "8"}
        else:
            stream.bit_rate = 8_000_000
        self._stream = stream
        self._audio = self._audio_packets(audio_ok)

    def _audio_packets(self, audio_ok):
        """(output audio stream, packet iterator) from ``audio_from`` when its codec fits the container, else None."""
        if self.audio_from is None:
            return None
        av = _av()
        try:
            src = av.open(str(self.audio_from))
        except (av.FFmpegError, OSError):
            return None
        self._stack.callback(src.close)
        if not src.streams.audio:
            return None
        ain = src.streams.audio[0]
        if audio_ok is not None and ain.codec_context.name not in audio_ok:
            return None
        try:
            aout = self._box.add_stream_from_template(ain)
        except (av.FFmpegError, ValueError):
            return None
        self.audio_copied = True
        return [aout, ain, src.demux(ain), None]

    def _mux_audio_until(self, seconds: Optional[float]) -> None:
        """Copy audio packets up to ``seconds`` (all that are left for None), so video and audio interleave."""
        if self._audio is None:
            return
        aout, ain, packets, pending = self._audio
        while True:
            pkt = pending if pending is not None else next(packets, None)
            pending = None
            if pkt is None:
                break
            if pkt.dts is None:
                continue
            if seconds is not None and pkt.pts is not None and float(pkt.pts * ain.time_base) > seconds:
                pending = pkt
                break
            pkt.stream = aout
            self._box.mux(pkt)
        self._audio[3] = pending

    def write(self, frame: np.ndarray) -> None:
        """Append one uint8 ``[H,W,3]`` RGB frame."""
        if self.kind == "folder":
            ok, buf = cv2.imencode(f".{self.frame_format}", np.ascontiguousarray(frame[..., ::-1]))
            if not ok:  # pragma: no cover
                raise VideoError(f"cannot encode frame {self.count}")
            (self._tmp / f"{self.count:05d}.{self.frame_format}").write_bytes(buf.tobytes())
        else:
            av = _av()
            h, w = frame.shape[:2]
            if self._box is None:
                try:
                    self._open_video(w, h)
                except (av.FFmpegError, ValueError) as e:
                    raise VideoError(f"cannot write '{self.path}' with codec "
                                     f"'{self.codec or CONTAINERS[self.path.suffix.lower()][1]}': "
                                     f"{str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            self._mux_audio_until(self.count / self.fps)
            try:
                for pkt in self._stream.encode(vf):
                    self._box.mux(pkt)
            except av.FFmpegError as e:
                raise VideoError(f"cannot encode frame {self.count} with '{self._stream.codec_context.name}': {e}") from None
        self.count += 1

    def __exit__(self, exc_type, exc, tb) -> bool:
        if self.kind == "folder":
            self._finish_folder(exc_type is None)
            return False
        try:
            self._finish_video(exc_type is None)
        except BaseException:
            if not self._stack.__exit__(*sys.exc_info()):  # atomic_path removes the temporary file
                raise
            return False
        return bool(self._stack.__exit__(exc_type, exc, tb))  # rename on success, remove on error

    def _finish_video(self, ok: bool) -> None:
        if self._box is not None:
            try:
                if ok:
                    for pkt in self._stream.encode(None):
                        self._box.mux(pkt)
                    self._mux_audio_until(None)
            finally:
                self._box.close()
        if ok and self.count == 0:
            raise VideoError("no frames to write")

    def _finish_folder(self, ok: bool) -> None:
        try:
            if not ok:
                return
            if self.count == 0:
                raise VideoError("no frames to write")
            old = None
            if self.path.exists():  # --overwrite: move the old folder aside, then swap
                old = self.path.with_name(f".{self.path.name}.{os.getpid()}.old")
                os.replace(self.path, old)
            os.replace(self._tmp, self.path)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        finally:
            if self._tmp.exists():
                shutil.rmtree(self._tmp, ignore_errors=True)
