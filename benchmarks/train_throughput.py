"""Training throughput of every registered network, side by side in one run (not a timed test).

One training step is what the trainer does: forward (optionally under bf16 autocast) on a masked batch,
hole-L1 loss, backward, Adam step. For each model, the four variants (fp32 / bf16 autocast, channels-last
off / on) take turns step by step: ``--warmup`` rounds are thrown away, then ``--steps`` rounds are timed,
and ``batch / median(step time)`` is reported as images/s. It also reports parameters and forward GFLOP per image at 128²
and 512² (``torch.utils.flop_counter``; one multiply-add = 2 FLOP; convolutions and matmuls only).

    python benchmarks/train_throughput.py                         # 128², batch 16, 2 threads, all networks
    python benchmarks/train_throughput.py --steps 3 --warmup 1 --models fillnet,seed-unet
    python benchmarks/train_throughput.py --markdown docs/training.md   # also write the table there

``--markdown FILE`` replaces the section between ``<!-- train_throughput:begin -->`` and
``<!-- train_throughput:end -->`` in FILE, or appends such a section when FILE has none.
Other processes on the machine slow every number down; the header line records the load average.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode
from tqdm import tqdm

from inpaintkit.bench import cpu_name
from inpaintkit.losses import reconstruction_loss
from inpaintkit.masks import MaskGenerator
from inpaintkit.models import create_model, list_models

sys.path.append(str(Path(__file__).resolve().parent))  # benchmarks/, for the shared helper (last: shadows nothing)
from _sections import write_section  # noqa: E402

SECTION = "train_throughput"  # the marked section of --markdown FILE (_sections.py)
VARIANTS = [("fp32", False, False), ("fp32 CL", False, True), ("bf16", True, False), ("bf16 CL", True, True)]


def forward_gflop(name: str, size: int) -> float:
    """Forward GFLOP of one ``size`` x ``size`` image (batch 1, fp32)."""
    torch.manual_seed(0)
    net = create_model(name).eval()
    x, m = torch.rand(1, 3, size, size), torch.zeros(1, 1, size, size)
    m[..., size // 4: size // 2, size // 4: size // 2] = 1
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net(x * (1 - m), m)
    return counter.get_total_flops() / 1e9


def make_batch(batch: int, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    image = torch.rand(batch, 3, size, size, generator=g)  # content does not change the speed
    gen = MaskGenerator(size, "mixed", seed=0)
    mask = torch.stack([torch.from_numpy(gen(i)[None].astype("float32")) for i in range(batch)])  # [B,1,S,S]
    return image, mask


class Variant:
    """One model in one variant (precision, memory format) with its own Adam and input batch."""

    def __init__(self, name: str, image: torch.Tensor, mask: torch.Tensor, amp: bool, channels_last: bool):
        torch.manual_seed(0)
        self.net = create_model(name).train()
        self.opt = torch.optim.Adam(self.net.parameters(), lr=1e-4)
        self.amp = amp
        if channels_last:
            self.net = self.net.to(memory_format=torch.channels_last)
            image = image.contiguous(memory_format=torch.channels_last)
            mask = mask.contiguous(memory_format=torch.channels_last)
        self.image, self.mask = image, mask
        self.times: list[float] = []

    def step(self) -> float:
        """One training step as the trainer takes it; returns its seconds."""
        t0 = time.perf_counter()
        masked = self.image * (1 - self.mask)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.amp):
            pred = self.net(masked, self.mask).float()  # [B,3,S,S]
        loss, _ = reconstruction_loss(pred, self.image, self.mask, {"l1_hole": 1.0})
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return time.perf_counter() - t0


def time_variants(name: str, image: torch.Tensor, mask: torch.Tensor, steps: int, warmup: int, bar) -> list[float]:
    """Median seconds per step of each variant. The variants take turns step by step, so a change in the
    machine's load during the run hits all of them alike."""
    variants = [Variant(name, image, mask, amp, cl) for _, amp, cl in VARIANTS]
    for i in range(warmup + steps):
        for v in variants:
            t = v.step()
            if i >= warmup:
                v.times.append(t)
            bar.update()
    return [statistics.median(v.times) for v in variants]


def run(models: list[str], size: int, batch: int, threads: int, steps: int, warmup: int) -> str:
    torch.set_num_threads(threads)
    image, mask = make_batch(batch, size)
    rows = []
    bar = tqdm(total=len(models) * len(VARIANTS) * (steps + warmup), desc="benchmark", unit="step", file=sys.stderr)
    for name in models:
        bar.set_postfix_str(name)
        params = sum(p.numel() for p in create_model(name).parameters()) / 1e6
        g128, g512 = forward_gflop(name, 128), forward_gflop(name, 512)
        speeds = [batch / t for t in time_variants(name, image, mask, steps, warmup, bar)]
        rows.append((name, params, g128, g512, speeds))
    bar.close()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        f"Training throughput (images/s; forward + backward + Adam step, hole-L1) at {size}², batch {batch}, "
        f"{threads} threads, median of {steps} steps after {warmup} warm-up; torch {torch.__version__}, "
        f"{cpu_name()}, load average {load:.1f} at the end. CL = channels-last, bf16 = bf16 autocast.",
        "",
        "| model | params (M) | GFLOP/img 128² | GFLOP/img 512² | " + " | ".join(v[0] for v in VARIANTS) + " |",
        "|---|---:|---:|---:|" + "---:|" * len(VARIANTS),
    ]
    for name, params, g128, g512, speeds in rows:
        best = max(speeds)
        cells = [f"**{s:.1f}**" if s == best else f"{s:.1f}" for s in speeds]
        lines.append(f"| {name} | {params:.2f} | {g128:.2f} | {g512:.1f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default="", help="comma-separated names (default: every registered network)")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=10, help="timed steps per variant (the median is reported)")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps per variant first")
    p.add_argument("--markdown", type=Path, default=None, help="also write the table into this Markdown file")
    a = p.parse_args(argv)
    valid = list_models("network")
    models = [m.strip() for m in a.models.split(",") if m.strip()] or valid
    unknown = [m for m in models if m not in valid]
    if unknown:
        p.error(f"unknown network(s) {unknown}; valid: {', '.join(valid)}")
    if min(a.size, a.batch, a.threads, a.steps) < 1 or a.warmup < 0:
        p.error("--size, --batch, --threads and --steps must be >= 1, --warmup >= 0")
    table = run(models, a.size, a.batch, a.threads, a.steps, a.warmup)
    print(table, end="")
    if a.markdown:
        write_section(a.markdown, SECTION, table)
        print(f"wrote {a.markdown}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
