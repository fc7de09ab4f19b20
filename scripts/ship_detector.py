"""Calibrate a trained damage detector and ship it as src/inpaintkit/weights/damage.safetensors (+ .json, fp16).

    python scripts/ship_detector.py runs/damage/model-best.safetensors --note "..."

The threshold is the one with the best F1 on synthetic damage over held-out validation photos (CelebA val,
held-out ImageNet samples) among those that flag at most --max-false of the pixels of the same photos
undamaged (but toned / papered / scanned like the damaged ones). Test photos are never looked at here.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from inpaintkit.damage.detector import BUNDLED, load_detector, n_params, save_detector
from inpaintkit.damage.synth import synthesize
from inpaintkit.damage.train import DetectorTrainConfig, calibrate, image_lists, random_crop, read_rgb, val_set


def clean_set(cfg: DetectorTrainConfig, lists: dict, n: int) -> torch.Tensor:
    xs = []
    for i in range(n):
        rng = np.random.default_rng([cfg.seed + 3000, i])
        crop = random_crop(read_rgb(lists["val"][i % len(lists["val"])]), cfg.crop, rng)
        xs.append(synthesize(crop, rng, clean_p=1.0)[0])
    return torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).float().div_(255.0)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", type=Path, help="model-best.safetensors of a run (scripts/train_detector.py)")
    p.add_argument("--max-false", type=float, default=0.005, help="largest fraction of clean pixels flagged")
    p.add_argument("--crops", type=int, default=200, help="validation crops (damaged, and as many clean)")
    p.add_argument("--note", default="")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    net, info = load_detector(args.source)
    run_cfg = json.loads((args.source.parent / "config.json").read_text())
    cfg = replace(DetectorTrainConfig(**run_cfg), val_crops=args.crops, seed=run_cfg["seed"] + 2000)
    lists = image_lists(cfg.data)
    vx, vm = val_set(cfg, lists)
    cal = calibrate(net, vx, vm, clean_set(cfg, lists, args.crops), args.max_false)
    extra = {"threshold": cal["threshold"], "calibration": {**cal, "max_false": args.max_false, "crops": args.crops},
             "step": info.get("step"), "params": n_params(net), "source": str(args.source), "train_config": run_cfg}
    if args.note:
        extra["note"] = args.note
    save_detector(net, BUNDLED, extra, dtype=torch.float16)
    print(f"wrote {BUNDLED} ({BUNDLED.stat().st_size / 1e6:.2f} MB): threshold {cal['threshold']:.3f}, "
          f"val F1 {cal['f1']:.3f}, clean flagged {100 * cal['clean_flagged']:.2f}%")


if __name__ == "__main__":
    main()
