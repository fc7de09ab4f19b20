"""The damage detector: a small U-Net that marks scratches, cracks, creases, dust, spots, stains and tears.

One logit per pixel (damaged or not). Shapes for a 128² input with the default widths (12, 24, 48, 64, 64)::

    x = photo in [-1, 1]                 [B,3,128,128]
    2 x conv3x3                          [B,w0,128,128]  e0   full resolution: 1-px scratches and specks
    conv3x3 s2, conv3x3                  [B,w1,64,64]    e1
    conv3x3 s2, conv3x3                  [B,w2,32,32]    e2
    conv3x3 s2                           [B,w3,16,16]    e3
    conv3x3 s2, 2 x dilated conv3x3      [B,w4,8,8]      context (receptive field ~ 200 px): is it a
                                                          stain or the photo's own shading?
    up2 + e3, up2 + e2, up2 + e1, up2 + e0, each a conv3x3
    conv1x1                              [B,1,128,128]   logit

Convolution, batch norm (folded into an affine map in eval mode) and ReLU only, so it is fully
convolutional (any size; :func:`pad_to` pads to a multiple of 16), exports to ONNX with dynamic height and
width, and a tile gives the same answer as the whole photo away from its border.

**Files.** :func:`save_detector` writes ``<name>.safetensors`` (fp16 or fp32 tensors, the
:class:`DetectorConfig` and the calibration in the metadata) and the same as JSON beside it;
:func:`load_detector` checks the config's bounds and the tensors' shapes before building anything. No pickle.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from inpaintkit.errors import InpaintkitError

FORMAT = "inpaintkit-damage-detector"
BUNDLED = Path(__file__).resolve().parents[1] / "weights" / "damage.safetensors"


class DetectorError(InpaintkitError, ValueError):
    """A detector file that cannot be loaded; the message is one line."""


@dataclass
class DetectorConfig:
    """Constructor arguments of :class:`DamageNet`, stored with its weights."""

    widths: tuple = (12, 24, 48, 64, 64)
    dilations: tuple = (2, 4)

    def check(self) -> "DetectorConfig":
        w, d = list(self.widths), list(self.dilations)
        if len(w) != 5 or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 512 for v in w):
            raise DetectorError(f"widths must be 5 whole numbers from 1 to 512, got {self.widths!r}")
        if not 0 <= len(d) <= 8 or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 32 for v in d):
            raise DetectorError(f"dilations must be at most 8 whole numbers from 1 to 32, got {self.dilations!r}")
        self.widths, self.dilations = tuple(w), tuple(d)
        return self


def _conv(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class DamageNet(nn.Module):
    """U-Net with five levels; ``forward(x [B,3,H,W] in [0,1]) -> logits [B,1,H,W]`` (H, W multiples of 16)."""

    MULTIPLE = 16

    def __init__(self, config: DetectorConfig | None = None):
        super().__init__()
        self.config = (config or DetectorConfig()).check()
        w0, w1, w2, w3, w4 = self.config.widths
        self.enc0 = nn.Sequential(_conv(3, w0), _conv(w0, w0))
        self.enc1 = nn.Sequential(_conv(w0, w1, 2), _conv(w1, w1))
        self.enc2 = nn.Sequential(_conv(w1, w2, 2), _conv(w2, w2))
        self.enc3 = _conv(w2, w3, 2)
        self.ctx = nn.Sequential(_conv(w3, w4, 2), *[_conv(w4, w4, dilation=d) for d in self.config.dilations])
        self.dec3 = _conv(w4 + w3, w3)
        self.dec2 = _conv(w3 + w2, w2)
        self.dec1 = _conv(w2 + w1, w1)
        self.dec0 = _conv(w1 + w0, w0)
        self.head = nn.Conv2d(w0, 1, 1)

    @staticmethod
    def _up(x: Tensor, skip: Tensor) -> Tensor:
        return torch.cat([F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False), skip], 1)

    def forward(self, x: Tensor) -> Tensor:
        e0 = self.enc0(x * 2.0 - 1.0)
        e1 = self.enc1(e0)
        e2 = self.enc2(e1)
        e3 = self.enc3(e2)
        c = self.ctx(e3)
        d = self.dec3(self._up(c, e3))
        d = self.dec2(self._up(d, e2))
        d = self.dec1(self._up(d, e1))
        d = self.dec0(self._up(d, e0))
        return self.head(d)


def pad_to(x: Tensor, multiple: int = DamageNet.MULTIPLE) -> tuple[Tensor, int, int]:
    """Reflect-pad [B,C,H,W] on the bottom/right to multiples of ``multiple``; returns (padded, H, W)."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        mode = "reflect" if h > ph and w > pw else "replicate"
        x = F.pad(x, (0, pw, 0, ph), mode=mode)
    return x, h, w


def n_params(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


# --- files -----------------------------------------------------------------------------------------


def save_detector(net: DamageNet, path: str | os.PathLike, extra: dict | None = None,
                  dtype: torch.dtype | None = torch.float16) -> None:
    """Write ``path`` (.safetensors: weights + config + ``extra`` such as the calibrated threshold) and a JSON twin."""
    from safetensors.torch import save as st_save

    from inpaintkit.fileio import atomic_write_bytes, atomic_write_text

    path = Path(path)
    state = net.state_dict()
    tensors = {k: (v.to(dtype) if dtype is not None and v.is_floating_point() else v).contiguous().clone()
               for k, v in state.items()}
    info = {"model": "damage-unet", "config": asdict(net.config), **(extra or {})}
    info["config"] = {k: list(v) for k, v in info["config"].items()}
    meta = {"format": FORMAT, "info": json.dumps(info)}
    atomic_write_bytes(path, st_save(tensors, metadata=meta))
    atomic_write_text(path.with_suffix(".json"), json.dumps(info, indent=2) + "\n")


def read_info(path: str | os.PathLike) -> dict:
    """The JSON info stored in a detector file's metadata (config, threshold, training notes)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
    except FileNotFoundError:
        raise DetectorError(f"detector file not found: {path}") from None
    except Exception as e:  # noqa: BLE001 - any parse failure of a user file is one line
        raise DetectorError(f"{path} is not a safetensors detector file ({type(e).__name__})") from None
    if meta.get("format") != FORMAT:
        raise DetectorError(f"{path} is not a damage detector (metadata format {meta.get('format')!r})")
    try:
        info = json.loads(meta["info"])
    except (KeyError, ValueError):
        raise DetectorError(f"{path}: damaged metadata 'info'") from None
    if not isinstance(info, dict) or not isinstance(info.get("config"), dict):
        raise DetectorError(f"{path}: damaged metadata 'info' (no config object)")
    return info


def load_detector(path: str | os.PathLike | None = None) -> tuple[DamageNet, dict]:
    """Load a detector (default: the bundled ``weights/damage.safetensors``); returns (net in eval mode, info)."""
    from safetensors.torch import load_file

    path = Path(path) if path is not None else BUNDLED
    if not path.is_file():
        raise DetectorError(f"detector file not found: {path}" + (" (the bundled detector is missing from this "
                                                                  "installation)" if path == BUNDLED else ""))
    info = read_info(path)
    try:
        cfg = DetectorConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in info["config"].items()}).check()
    except TypeError as e:
        raise DetectorError(f"{path}: config does not fit the detector ({e})") from None
    except DetectorError as e:
        raise DetectorError(f"{path}: refused before building: {e}") from None
    net = DamageNet(cfg)
    tensors = load_file(str(path))
    want = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in tensors.items()}
    if want != got:
        bad = sorted(set(want) ^ set(got)) or [k for k in want if want[k] != got[k]]
        raise DetectorError(f"{path}: weights do not fit the config (first mismatch: {bad[0]})")
    if not all(torch.isfinite(v.float()).all() for v in tensors.values() if v.is_floating_point()):
        raise DetectorError(f"{path}: weights contain NaN or infinity")
    net.load_state_dict({k: v.to(net.state_dict()[k].dtype) for k, v in tensors.items()})
    return net.eval(), info


def export_onnx(net: DamageNet, path: str | os.PathLike, opset: int = 17) -> Path:
    """Export to ONNX: input ``image`` [B,3,H,W] in [0,1] (H, W multiples of 16), output ``logits`` [B,1,H,W];
    batch, height and width dynamic. TorchScript-based exporter, as :mod:`inpaintkit.export`."""
    import warnings

    path = Path(path)
    axes = {0: "batch", 2: "height", 3: "width"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(net.eval(), torch.rand(1, 3, 64, 64), str(path), input_names=["image"],
                          output_names=["logits"], opset_version=opset, dynamic_axes={"image": axes, "logits": axes},
                          dynamo=False)
    return path
