"""Train the old-photo damage detector (see src/inpaintkit/damage/train.py for the recipe).

    nice -n 15 python scripts/train_detector.py --out runs/damage --minutes 45
    nice -n 15 python scripts/train_detector.py --out runs/damage --resume      # continue exactly

Writes runs/<out>/{config.json, log.jsonl, checkpoint-last.safetensors, model-best.safetensors, model-last.safetensors}.
Ship with scripts/ship_detector.py (calibrates the threshold and writes src/inpaintkit/weights/damage.*).
"""
from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path

from inpaintkit.damage.train import DetectorTrainConfig, train


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True, help="run folder")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from checkpoint-last")
    for f in fields(DetectorTrainConfig):
        if f.name != "widths":
            p.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), default=None)
    args = p.parse_args(argv)
    given = {f.name: getattr(args, f.name) for f in fields(DetectorTrainConfig) if f.name != "widths"}
    cfg = DetectorTrainConfig(**{k: v for k, v in given.items() if v is not None})
    override = {k: v for k, v in given.items() if v is not None and k in ("steps", "minutes", "val_every", "ckpt_every")}
    res = train(cfg, args.out, resume=args.resume, override=override)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
