"""propagate.py: flow-guided propagation against per-frame filling on clips where the truth is known."""
from __future__ import annotations

import numpy as np
import pytest

from inpaintkit.video import Stats, VideoFillConfig, fill_video, native_bf16, video_filler
from inpaintkit.video.flow import FlowEstimator, displacement

from .synthetic import hole_psnr, moving_square, static_box


def _flicker(out, truth, masks):
    """Mean |out_t - out_{t-1}| minus the same for the truth, inside the hole (the background is static here)."""
    d = [np.abs(o.astype(float) - p.astype(float))[m].mean() for o, p, m in zip(out[1:], out[:-1], masks[1:])]
    return float(np.mean(d))


@pytest.mark.parametrize("pan", [(0, 0), (2, 1)])
def test_propagation_recovers_the_background_behind_a_moving_square(pan):
    frames, masks, truth = moving_square(n=14, pan=pan)
    st = Stats()
    ours = list(fill_video(frames, masks, model="telea", stats=st))
    per_frame = list(fill_video(frames, masks, model="telea", config=VideoFillConfig(propagate=False)))
    assert len(ours) == len(frames)
    for o, f, m in zip(ours, frames, masks):
        assert np.array_equal(o[~m], f[~m])  # known pixels bit-identical
    p_ours, p_frame = hole_psnr(ours, truth, masks), hole_psnr(per_frame, truth, masks)
    assert p_ours > p_frame + 6.0, (p_ours, p_frame)
    assert st.seen > 0.9 * st.hole_pixels  # nearly everything is copied from other frames


def test_still_camera_static_flicker_is_lower_than_per_frame():
    frames, masks, truth = moving_square(n=12)
    ours = list(fill_video(frames, masks, model="telea"))
    per_frame = list(fill_video(frames, masks, model="telea", config=VideoFillConfig(propagate=False)))
    assert _flicker(ours, truth, masks) < 0.5 * _flicker(per_frame, truth, masks)


def test_static_mask_still_camera_fills_once_and_reuses():
    frames, mask, truth = static_box(n=8)
    st = Stats()
    out = list(fill_video(frames, mask, model="telea", stats=st))
    assert st.keyframes == 1 and st.model == int(mask.sum())  # the image model ran on one frame only
    assert st.reused == (len(frames) - 1) * int(mask.sum())
    for o in out[1:]:
        assert np.array_equal(o[mask], out[0][mask])  # the fill is exactly the same in every frame


def test_window_zero_and_no_hole():
    frames, masks, _ = moving_square(n=4)
    out = list(fill_video(frames, masks, model="telea", config=VideoFillConfig(window=0)))
    assert len(out) == 4
    empty = [np.zeros_like(m) for m in masks]
    out = list(fill_video(frames, empty, model="telea"))
    assert all(np.array_equal(o, f) for o, f in zip(out, frames))


def test_dilate_grows_the_hole():
    frames, masks, _ = moving_square(n=3)
    out = list(fill_video(frames, masks, model="telea", config=VideoFillConfig(dilate=2)))
    ring = np.zeros_like(masks[0])
    ys, xs = np.nonzero(masks[0])
    ring[ys.min() - 2: ys.max() + 3, xs.min() - 2: xs.max() + 3] = True
    ring &= ~masks[0]
    assert not np.array_equal(out[0][ring], frames[0][ring])  # pixels next to the square were filled too
    with pytest.raises(ValueError):
        VideoFillConfig(dilate=-1)


def test_flow_estimator_rejects_bad_settings():
    with pytest.raises(ValueError):
        FlowEstimator(preset="nope")
    with pytest.raises(ValueError):
        FlowEstimator(scale=3)
    assert displacement(np.zeros((4, 4, 2), np.float32), np.zeros((0, 2), np.float32), 0.5).shape == (0, 2)


def test_api_errors_are_one_line_video_errors():
    from inpaintkit.video import VideoError

    frames, masks, _ = moving_square(n=4)
    with pytest.raises(VideoError, match="more frames than masks"):
        list(fill_video(frames, masks[:2], model="telea"))
    with pytest.raises(VideoError, match="more masks than frames"):
        list(fill_video(frames[:2], masks, model="telea"))
    with pytest.raises(VideoError, match="no frames"):
        list(fill_video([], masks[0], model="telea"))
    with pytest.raises(VideoError, match="mask is 10x10"):
        list(fill_video(frames, np.zeros((10, 10), bool), model="telea"))
    small = [f[:32, :48] for f in frames[:2]]
    with pytest.raises(VideoError, match="every frame must have the same size"):
        list(fill_video(frames[:2] + small, [m for m in masks[:2]] + [m[:32, :48] for m in masks[:2]], model="telea"))


def test_sides_that_disagree_go_to_the_image_model():
    frames, masks, truth = moving_square(n=12, w=128, speed=(8, 0))  # each pixel is seen again 2 frames on
    cut = 6  # a scene cut: from frame 6 on the background is its negative, so frames beside it see two scenes
    for t in range(cut, len(frames)):
        truth[t] = 255 - truth[t]
        frames[t] = np.where(masks[t][..., None], frames[t], truth[t])
    runs = {}
    for agree in (0.0, 16.0):  # the ring check (below) off, so that only the two-sided check acts
        st = Stats()
        cfg = VideoFillConfig(agree=agree, check=0, smooth=0, smooth_seen=0, flow_preset="fast")
        out = list(fill_video(frames, masks, model="telea", stats=st, config=cfg))
        near = slice(cut - 3, cut + 3)
        runs[agree] = (st.model, hole_psnr(out[near], truth[near], masks[near]))
    assert runs[16.0][0] > runs[0.0][0] + 100  # the pixels whose sides differ are the model's now ...
    assert runs[16.0][1] > runs[0.0][1] + 1.5  # ... and not a blend of the two scenes
    with pytest.raises(ValueError, match="agree"):
        VideoFillConfig(agree=-1)


def _cut_clip():
    frames, masks, truth = moving_square(n=12, w=128, speed=(8, 0))
    cut = 6  # from frame 6 on the background is its negative: tracing across the cut fetches the wrong scene
    for t in range(cut, len(frames)):
        truth[t] = 255 - truth[t]
        frames[t] = np.where(masks[t][..., None], frames[t], truth[t])
    return frames, masks, truth, cut


def test_ring_check_distrusts_a_side_whose_ring_comes_back_wrong():
    frames, masks, truth, cut = _cut_clip()
    runs = {}
    for check in (0.0, 12.0):
        st = Stats()
        cfg = VideoFillConfig(check=check, agree=0, smooth=0, smooth_seen=0)  # the two-sided check off: the ring check alone
        out = list(fill_video(frames, masks, model="telea", stats=st, config=cfg))
        near = slice(cut - 3, cut + 3)
        runs[check] = (st.distrusted, hole_psnr(out[near], truth[near], masks[near]))
    assert runs[0.0][0] == 0 and runs[12.0][0] > 100  # the sides that trace across the cut are refused ...
    assert runs[12.0][1] > runs[0.0][1] + 1.5, runs  # ... so the fill is not a blend of the two scenes
    for bad in ({"check": -1}, {"ring": 0}, {"smooth": 1.0}, {"smooth": -0.1}, {"smooth_seen": 1.0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            VideoFillConfig(**bad)


def test_ring_check_keeps_a_clean_pan():
    frames, masks, truth = moving_square(n=14, pan=(2, 1))
    st = Stats()
    list(fill_video(frames, masks, model="telea", stats=st))
    assert st.distrusted < 0.05 * st.hole_pixels  # where the flow is right, nearly nothing is distrusted


class _NoiseFill:
    """An image model whose fill is fresh noise every call: all its frame-to-frame change is flicker."""

    multiple = 1

    def __init__(self):
        self.rng = np.random.default_rng(0)

    def fill(self, image, mask):
        import torch

        noise = torch.from_numpy(self.rng.random(image.shape, dtype=np.float32))
        return image * (1 - mask) + noise * mask


def test_smooth_blends_the_model_fill_with_the_carried_one():
    frames, masks, truth = moving_square(n=10)  # still background: the truth does not change in the hole
    outs = {}
    for smooth in (0.0, 0.5):  # agree 0.5: nearly every two-sided pixel is the model's, so the model fills a lot
        cfg = VideoFillConfig(agree=0.5, smooth=smooth)
        outs[smooth] = list(fill_video(frames, masks, model=_NoiseFill(), config=cfg))
    assert _flicker(outs[0.5], truth, masks) < 0.8 * _flicker(outs[0.0], truth, masks)


def test_the_image_model_by_default_is_general_not_the_photo_default():
    frames, mask, _ = static_box(n=2)  # a 16 x 24 px box: wide enough that the photo default paints it with general-gan
    general = "general+bf16" if native_bf16() else "general"  # the default runs bf16 where the CPU does
    first = {m: next(fill_video(frames, mask, model=m)) for m in (None, general, "default")}
    assert np.array_equal(first[None], first[general])
    assert not np.array_equal(first[None][mask], first["default"][mask])


def test_smooth_seen_blends_the_seen_pixels_with_the_carried_ones():
    frames, masks, truth = moving_square(n=10, pan=(2, 1))
    outs = {}
    for b in (0.0, 0.5):
        cfg = VideoFillConfig(smooth_seen=b, agree=0, check=0, smooth=0)
        outs[b] = list(fill_video(frames, masks, model="telea", config=cfg))
    assert np.array_equal(outs[0.0][0], outs[0.5][0])  # the first frame has nothing to carry
    changed = [not np.array_equal(a[m], b[m]) for a, b, m in zip(outs[0.0][1:], outs[0.5][1:], masks[1:])]
    assert all(changed)
    for a, f, m in zip(outs[0.5], frames, masks):
        assert np.array_equal(a[~m], f[~m])  # known pixels stay bit-identical


def test_video_filler_runs_the_default_in_bf16_only_where_the_cpu_does_and_keeps_what_is_asked():
    assert getattr(video_filler(), "bf16", False) == native_bf16()
    assert getattr(video_filler(backend="torch"), "bf16", False) is False  # asked for fp32: fp32
    assert getattr(video_filler("general"), "bf16", False) is False  # a model named: as `fill` runs it
    assert getattr(video_filler("general", backend="bf16"), "bf16", False) is True
