"""Export the bundled networks to the ONNX graphs that ship beside their weights (``weights/NAME.onnx``).

    python scripts/export_bundled.py            # general, faces, faces-gan (the models people fill with)
    python scripts/export_bundled.py faces      # one of them
    python scripts/export_bundled.py --check    # exit 1 when a shipped graph is missing or not of today's weights

The torch-free install (``pip install inpaintkit``) fills with these graphs on onnxruntime. Each graph is
:func:`inpaintkit.export.export_onnx` of the bundled ``.safetensors`` model (checked there against PyTorch),
with metadata ``inpaintkit.weights_sha256`` = the sha256 of the weights file it came from. The weights are fp16;
the graph keeps every weight that is exactly an fp16 value as fp16 followed by a ``Cast`` to float32, so the
file is half the size of an fp32 graph and computes exactly what the fp32 graph computes (onnxruntime folds the
casts when it loads the graph). ``tests/test_shipped_onnx.py`` checks the digests and the fills (within 1/255 of
PyTorch on real photos), so the graphs cannot drift from the weights. ``seed-unet-faces`` (the baseline) stays
PyTorch only.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from inpaintkit.onnx_backend import DIGEST_KEY, WEIGHTS_DIR, file_digest

SHIPPED = ("general", "faces", "faces-gan")


def half_initializers(proto) -> int:
    """Store each float32 initializer that is exactly representable in fp16 as fp16 + a Cast node back to
    float32 (in place). Returns how many were converted. The graph computes exactly the same values."""
    from onnx import TensorProto, helper, numpy_helper

    graph = proto.graph
    casts, keep, n = [], [], 0
    for init in graph.initializer:
        arr = numpy_helper.to_array(init)
        if arr.dtype != np.float32 or arr.size < 16 or not np.array_equal(arr.astype(np.float16).astype(np.float32), arr):
            keep.append(init)
            continue
        half = numpy_helper.from_array(arr.astype(np.float16), init.name + "__fp16")
        keep.append(half)
        casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT, name=init.name + "__cast"))
        n += 1
    del graph.initializer[:]
    graph.initializer.extend(keep)
    nodes = casts + list(graph.node)  # casts first: the nodes stay in topological order
    del graph.node[:]
    graph.node.extend(nodes)
    return n


def export_one(name: str, out_dir: Path = WEIGHTS_DIR) -> dict:
    """Export bundled model ``name`` to ``out_dir/NAME.onnx``; returns path, size, PyTorch diff, halved count."""
    import onnx

    from inpaintkit.export import export_onnx, parity
    from inpaintkit.fileio import atomic_write_bytes
    from inpaintkit.models.pretrained import load_bundled, weights_path

    net = load_bundled(name).float().eval()
    digest = file_digest(weights_path(name))
    out = out_dir / f"{name}.onnx"
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "fp32.onnx"
        export_onnx(net, raw, metadata={DIGEST_KEY: digest})
        proto = onnx.load(str(raw))
    n = half_initializers(proto)
    onnx.checker.check_model(proto)
    atomic_write_bytes(out, proto.SerializeToString())
    diff = parity(net, out, (64, 96))
    if diff > 1e-4:
        raise SystemExit(f"{out}: differs from PyTorch by {diff:.2e} after storing the weights as fp16")
    return {"path": str(out), "mb": out.stat().st_size / 1e6, "max_abs_diff": diff, "fp16_weights": n}


def check(names) -> list[str]:
    """Problems of the shipped graphs (missing, or exported from other weights); empty when all is well."""
    import onnxruntime as ort

    from inpaintkit.models.pretrained import weights_path

    problems = []
    for name in names:
        path = WEIGHTS_DIR / f"{name}.onnx"
        if not path.is_file():
            problems.append(f"{path} is missing: run python scripts/export_bundled.py {name}")
            continue
        meta = ort.InferenceSession(path.read_bytes(), providers=["CPUExecutionProvider"]).get_modelmeta().custom_metadata_map
        if meta.get(DIGEST_KEY) != file_digest(weights_path(name)):
            problems.append(f"{path} was not exported from today's {weights_path(name).name}: "
                            f"run python scripts/export_bundled.py {name}")
    return problems


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="*", default=list(SHIPPED), help=f"bundled models to export (default: {' '.join(SHIPPED)})")
    p.add_argument("--check", action="store_true", help="only check the shipped graphs against the weights")
    args = p.parse_args(argv)
    if args.check:
        problems = check(args.names)
        print("\n".join(problems) or f"shipped graphs match their weights: {', '.join(args.names)}")
        return 1 if problems else 0
    for name in args.names:
        r = export_one(name)
        print(f"wrote {r['path']} ({r['mb']:.1f} MB, {r['fp16_weights']} weights as fp16); "
              f"onnxruntime vs PyTorch max |diff| = {r['max_abs_diff']:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
