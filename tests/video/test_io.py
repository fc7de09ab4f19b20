"""io.py and write.py: folders and video files in and out, atomic outputs, mask sources."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from inpaintkit.video.io import VideoError, open_clip, open_masks
from inpaintkit.video.write import FrameWriter, check_output

from .synthetic import moving_square

av = pytest.importorskip("av", reason="PyAV (the 'video' extra) is needed for video files")


def write_folder(folder, frames):
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames):
        Image.fromarray(f).save(folder / f"{i:05d}.png")
    return folder


def write_video(path, frames, fps=10, codec="libx264", audio=False, mask=False):
    """Encode frames (RGB, or bool masks when ``mask``) with PyAV, optionally with a second of AAC audio."""
    with av.open(str(path), "w") as box:
        s = box.add_stream(codec, rate=fps)
        s.width, s.height = frames[0].shape[1], frames[0].shape[0]
        s.pix_fmt = "yuv444p" if mask else "yuv420p"
        if audio:
            a = box.add_stream("aac", rate=16000)
            a.layout = "mono"
            t = np.arange(16000 * len(frames) // fps) / 16000.0
            pcm = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
            for i in range(0, pcm.shape[1], 1024):
                af = av.AudioFrame.from_ndarray(np.ascontiguousarray(pcm[:, i:i + 1024]), format="flt", layout="mono")
                af.sample_rate = 16000
                for p in a.encode(af):
                    box.mux(p)
            for p in a.encode(None):
                box.mux(p)
        for f in frames:
            arr = np.repeat((f * 255).astype(np.uint8)[..., None], 3, 2) if mask else f
            for p in s.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(arr), format="rgb24")):
                box.mux(p)
        for p in s.encode(None):
            box.mux(p)
    return path


def test_folder_round_trip(tmp_path):
    frames, masks, _ = moving_square(n=3)
    clip = open_clip(write_folder(tmp_path / "in", frames))
    assert clip.size == (96, 64) and clip.count == 3 and not clip.is_video
    got = list(clip.frames())
    assert all(np.array_equal(a, b) for a, b in zip(got, frames))
    with FrameWriter(tmp_path / "out", fps=clip.fps) as w:
        for f in got:
            w.write(f)
    back = list(open_clip(tmp_path / "out").frames())
    assert all(np.array_equal(a, b) for a, b in zip(back, frames))  # PNG frames: lossless


def test_video_round_trip_keeps_rate_size_and_audio(tmp_path):
    frames, _, _ = moving_square(n=10, pan=(2, 1))  # every frame differs from its neighbours
    src = write_video(tmp_path / "in.mp4", frames, fps=10, audio=True)
    clip = open_clip(src)
    assert clip.is_video and clip.size == (96, 64) and clip.fps == 10 and clip.has_audio
    with FrameWriter(tmp_path / "out.mp4", fps=clip.fps, audio_from=src) as w:
        for f in clip.frames():
            w.write(f)
    assert w.audio_copied
    out = open_clip(tmp_path / "out.mp4")
    assert out.fps == 10 and out.size == (96, 64) and out.has_audio
    back = list(out.frames())
    err = [np.abs(back[5].astype(int) - frames[j].astype(int)).mean() for j in (4, 5, 6)]
    assert len(back) == 10 and err[1] < 10 and err[1] < 0.7 * min(err[0], err[2])  # frame 5 is frame 5, in order


def test_odd_size_and_other_containers(tmp_path):
    frames = [np.full((33, 47, 3), 90 + 10 * i, np.uint8) for i in range(3)]
    with pytest.raises(VideoError, match="even width and height"):  # mpeg4 has 4:2:0 only
        with FrameWriter(tmp_path / "o.avi", fps=25) as w:
            w.write(frames[0])
    assert not (tmp_path / "o.avi").exists()
    for name in ("o.mkv", "o.webm", "o.mov"):
        with FrameWriter(tmp_path / name, fps=25) as w:
            for f in frames:
                w.write(f)
        c = open_clip(tmp_path / name)
        assert c.size == (47, 33) and len(list(c.frames())) == 3, name


@pytest.mark.parametrize("kind", ["out.mp4", "frames"])
def test_an_error_leaves_no_partial_output(tmp_path, kind):
    target = tmp_path / kind
    with pytest.raises(KeyboardInterrupt):
        with FrameWriter(target, fps=25) as w:
            for _ in range(3):
                w.write(np.zeros((16, 16, 3), np.uint8))
            raise KeyboardInterrupt  # Ctrl-C half way
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(VideoError, match="no frames"):
        with FrameWriter(target, fps=25):
            pass
    assert list(tmp_path.iterdir()) == []


def test_mask_sources(tmp_path):
    frames, masks, _ = moving_square(n=4)
    Image.fromarray((masks[0] * 255).astype(np.uint8)).save(tmp_path / "m.png")
    static = open_masks(tmp_path / "m.png")
    it = static.masks((96, 64))
    assert static.static and all(np.array_equal(next(it), masks[0]) for _ in range(6))
    folder = tmp_path / "mf"
    folder.mkdir()
    for i, m in enumerate(masks):
        Image.fromarray((m * 255).astype(np.uint8)).save(folder / f"{i:05d}.png")
    src = open_masks(folder)
    assert src.count == 4 and all(np.array_equal(a, b) for a, b in zip(src.masks((96, 64)), masks))
    vid = write_video(tmp_path / "m.mp4", masks, mask=True)
    got = list(open_masks(vid).masks((96, 64)))
    assert len(got) == 4 and all((a != b).mean() < 0.01 for a, b in zip(got, masks))
    with pytest.raises(VideoError, match="mask is 96x64 but the frames are 50x40"):
        next(static.masks((50, 40)))


def test_bad_paths(tmp_path):
    with pytest.raises(VideoError, match="not found"):
        open_clip(tmp_path / "nope.mp4")
    (tmp_path / "empty").mkdir()
    with pytest.raises(VideoError, match="holds no frames"):
        open_clip(tmp_path / "empty")
    (tmp_path / "junk.mp4").write_bytes(b"not a video at all")
    with pytest.raises(VideoError, match="cannot read video"):
        open_clip(tmp_path / "junk.mp4")
    with pytest.raises(VideoError, match="codec 'nope'"):
        check_output(tmp_path / "o.mp4", codec="nope")
    with pytest.raises(VideoError, match="give a video"):
        check_output(tmp_path / "o.png")
    (tmp_path / "o.mp4").write_bytes(b"x")
    with pytest.raises(VideoError, match="--overwrite"):
        check_output(tmp_path / "o.mp4")


def test_audio_the_container_cannot_take_is_left_out(tmp_path):
    frames, _, _ = moving_square(n=6)
    src = write_video(tmp_path / "in.mp4", frames, fps=10, audio=True)  # AAC: webm takes only Opus / Vorbis
    with FrameWriter(tmp_path / "out.webm", fps=10, audio_from=src) as w:
        for f in open_clip(src).frames():
            w.write(f)
    assert not w.audio_copied and not open_clip(tmp_path / "out.webm").has_audio
