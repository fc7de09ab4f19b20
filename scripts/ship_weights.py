"""Copy a trained generator into the package as a bundled model (fp16 safetensors + JSON config).

    python scripts/ship_weights.py runs/faces/model-best.safetensors faces
    python scripts/ship_weights.py runs/seed-unet/checkpoint-last.safetensors seed-unet-faces --note "..."

The source may be a model file or a training checkpoint (its EMA generator is taken). The JSON beside
the weights records where they came from (run config, step, validation figures).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from safetensors import safe_open

from inpaintkit.checkpoint import load_model, save_model
from inpaintkit.models.pretrained import WEIGHTS_DIR


def source_info(path: Path) -> dict:
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
    if meta.get("kind") == "model":
        info = json.loads(meta["info"])
        return {k: v for k, v in info.items() if k not in ("model", "config")}
    cfg = json.loads(meta.get("config", "{}"))
    return {"step": int(meta.get("step", 0)), "train_config": cfg}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", type=Path, help="model-best.safetensors or checkpoint-*.safetensors of a run")
    p.add_argument("name", help="bundled name, e.g. faces, general")
    p.add_argument("--note", default="", help="free text stored in the JSON (e.g. how it was trained)")
    args = p.parse_args(argv)
    net = load_model(args.source)
    run_cfg = args.source.parent / "config.json"
    extra = {"source": str(args.source), **source_info(args.source)}
    if run_cfg.is_file() and "train_config" not in extra:
        extra["train_config"] = json.loads(run_cfg.read_text())
    if args.note:
        extra["note"] = args.note
    name = extra.get("train_config", {}).get("model") or json.loads(args.source.with_suffix(".json").read_text())["model"]
    out = WEIGHTS_DIR / f"{args.name}.safetensors"
    save_model(net, out, name, extra, dtype=torch.float16)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB) from {args.source} (step {extra.get('step')})")


if __name__ == "__main__":
    main()
