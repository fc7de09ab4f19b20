"""Is an int8 path worth offering? onnxruntime static QDQ quantisation of a shipped graph, calibrated on
training faces, timed against the fp32 graph and evaluated by the protocol, band by band (#14 item 4).

    python benchmarks/int8.py            # -> fp32 / int8 latency at 512², then `inpaintkit eval` of both

The rule: offered only if PSNR stays within 0.1 dB of fp32 in every band. Writes its graphs to --work.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

from inpaintkit.data import list_dataset
from inpaintkit.images import preprocess, read_image
from inpaintkit.masks import MaskGenerator

ROOT = Path(__file__).resolve().parents[1]
CALIBRATE = {"minmax": CalibrationMethod.MinMax, "percentile": CalibrationMethod.Percentile,
             "entropy": CalibrationMethod.Entropy}
DATA = (ROOT / ".." / "shared" / "data").resolve()


class Faces(CalibrationDataReader):
    """``n`` training faces at 128² under generated masks, fed as (masked, mask)."""

    def __init__(self, names: list[str], n: int):
        gen = MaskGenerator(128, "mixed", 5)
        self.items = []
        for k, p in enumerate(list_dataset(DATA / "celeba", "train")[:n]):
            x = preprocess(read_image(p), 128).astype(np.float32).transpose(2, 0, 1)[None] / 255
            m = gen(k)[None, None].astype(np.float32)
            self.items.append({names[0]: x * (1 - m), names[1]: m})
        self.it = iter(self.items)

    def get_next(self):
        return next(self.it, None)


def with_metadata(path: Path, like: onnx.ModelProto, out: Path) -> Path:
    m = onnx.load(path)
    del m.metadata_props[:]
    for p in like.metadata_props:  # inpaintkit reads its contract (multiple, ...) from these
        m.metadata_props.add(key=p.key, value=p.value)
    onnx.save(m, out)
    return out


def median_ms(path: Path, names: list[str], size: int, threads: int, repeats: int = 5) -> float:
    rng = np.random.default_rng(0)
    x = rng.random((1, 3, size, size), dtype=np.float32)
    m = (rng.random((1, 1, size, size)) > 0.7).astype(np.float32)
    o = ort.SessionOptions()
    o.intra_op_num_threads = threads
    s = ort.InferenceSession(str(path), o, providers=["CPUExecutionProvider"])
    feed = {names[0]: x * (1 - m), names[1]: m}
    s.run(None, feed)
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        s.run(None, feed)
        ts.append(time.perf_counter() - t)
    return 1000 * float(np.median(ts))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="faces", help="shipped graph: weights/NAME.onnx")
    ap.add_argument("--calibration", type=int, default=64, help="training faces to calibrate on")
    ap.add_argument("--limit", type=int, default=100, help="test images per band for the evaluation")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--keep-fp32", type=int, default=0, help="leave the first and the last N convolutions in fp32")
    ap.add_argument("--calibrate", choices=["minmax", "percentile", "entropy"], default="minmax",
                    help="how activation ranges are set from the calibration faces")
    ap.add_argument("--work", type=Path, default=Path("/tmp/inpaintkit-int8"))
    args = ap.parse_args()
    if not (DATA / "celeba").is_dir():
        sys.exit(f"needs the CelebA data at {DATA}")
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    shipped = ROOT / "src" / "inpaintkit" / "weights" / f"{args.model}.onnx"
    so = ort.SessionOptions()  # an fp32 graph: the shipped one stores fp16 weights behind Casts
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    so.optimized_model_filepath = str(args.work / "fp32-raw.onnx")
    ort.InferenceSession(str(shipped), so, providers=["CPUExecutionProvider"])
    here = os.getcwd()
    os.chdir(args.work)  # the quantisation tools leave temporary files in the working folder
    try:
        quant_pre_process(args.work / "fp32-raw.onnx", args.work / "pre.onnx", skip_optimization=True,
                          skip_symbolic_shape=True)
        names = [i.name for i in ort.InferenceSession(str(args.work / "pre.onnx")).get_inputs()]
        convs = [n.name for n in onnx.load(args.work / "pre.onnx").graph.node if n.op_type == "Conv"]
        keep = convs[: args.keep_fp32] + convs[len(convs) - args.keep_fp32:] if args.keep_fp32 else []
        quantize_static(args.work / "pre.onnx", args.work / "int8-raw.onnx", Faces(names, args.calibration),
                        quant_format=QuantFormat.QDQ, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        per_channel=True, nodes_to_exclude=keep, calibrate_method=CALIBRATE[args.calibrate])
    finally:
        os.chdir(here)
    like = onnx.load(shipped)
    fp32 = with_metadata(args.work / "fp32-raw.onnx", like, args.work / f"{args.model}-fp32.onnx")
    int8 = with_metadata(args.work / "int8-raw.onnx", like, args.work / f"{args.model}-int8.onnx")
    for size in (128, 512):
        a, b = median_ms(fp32, names, size, args.threads), median_ms(int8, names, size, args.threads)
        print(f"{size}²: fp32 {a:.1f} ms, int8 {b:.1f} ms ({a / b:.2f}x), median of 5, {args.threads} threads")
    subprocess.run([sys.executable, "-m", "inpaintkit", "eval", "-m", f"fp32={fp32}", "-m", f"int8={int8}",
                    "--data", str(DATA / "celeba"), "--split", "test", "--masks",
                    str(DATA / "masks" / "nvidia_irregular_test"), "--size", "128", "--limit", str(args.limit), "-q"],
                   check=True)


if __name__ == "__main__":
    main()
