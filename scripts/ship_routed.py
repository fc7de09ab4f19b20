"""Bundle two trained fillnet generators as one ``routed`` model (accurate near the hole's edge, realistic inside).

    python scripts/ship_routed.py src/inpaintkit/weights/general.safetensors runs/general-gan256/model-last.safetensors \\
        general --near 1 --far 8 --note "..."

Either source may be a model file or a training checkpoint (its EMA generator is taken). The result is one
fp16 safetensors file + JSON in ``src/inpaintkit/weights/`` whose tensors are ``accurate.*`` and ``realistic.*``
(see :mod:`inpaintkit.models.routed`); the JSON records both sources.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from inpaintkit.checkpoint import load_model, save_model
from inpaintkit.models.pretrained import WEIGHTS_DIR
from inpaintkit.models.routed import RoutedFill


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("accurate", type=Path, help="the generator trained for accuracy (thin holes, hole edges)")
    p.add_argument("realistic", type=Path, help="the generator trained adversarially (wide-hole interiors)")
    p.add_argument("name", help="bundled name, e.g. general")
    p.add_argument("--near", type=int, default=1, help="depth (px) up to which only `accurate` is used")
    p.add_argument("--far", type=int, default=8, help="depth (px) from which only `realistic` is used")
    p.add_argument("--note", default="")
    p.add_argument("--out-dir", type=Path, default=WEIGHTS_DIR)
    args = p.parse_args(argv)
    a, r = load_model(args.accurate), load_model(args.realistic)
    # read both before writing: the output may replace one of the sources
    net = RoutedFill(a.config, r.config, near=args.near, far=args.far)
    net.accurate.load_state_dict(a.state_dict())
    net.realistic.load_state_dict(r.state_dict())
    out = args.out_dir / f"{args.name}.safetensors"
    extra = {"sources": {"accurate": str(args.accurate), "realistic": str(args.realistic)}}
    if args.note:
        extra["note"] = args.note
    save_model(net, out, "routed", extra, dtype=torch.float16)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB): accurate {args.accurate}, realistic {args.realistic}, "
          f"near {args.near}, far {args.far}")


if __name__ == "__main__":
    main()
