"""Time and memory of ``restore`` on a 3000x2000 scan (target: <= 15 s within 1.5 GB on this CPU).

    nice -n 15 python benchmarks/restore.py --repeats 3 --json docs/results/restore-bench.json

The scan: a real photo (the first BSDS500 val photo from ../shared/data, else scikit-image's astronaut)
resized to 3000x2000, aged and damaged by :func:`inpaintkit.damage.synth.synthesize` with the damage sized
for a scan (``--scale``), saved as JPEG q95. Each repeat runs in a fresh process (so peak memory is that of
one restore): read the file, load the detector and the fill model, detect, fill, write a PNG. Reported:
medians over the repeats of the whole job's wall time, its parts, and the process's peak resident memory
(``ru_maxrss``, which includes Python, PyTorch and both models). Also the detector's F1 on that scan, and
the fill of the synthesis' own mask (what a detector that found all of the damage would hand the filler): the
job with that fill in place of the detected one is ``job_truth_s``.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

CHILD = r"""
import json, resource, sys, time
import numpy as np, torch
t0 = time.perf_counter()
torch.set_num_threads(int(sys.argv[4]))
from inpaintkit.inference import load_filler, read_picture, write_picture
from inpaintkit.restore import damage_mask, load_default_detector, restore
t_import = time.perf_counter(); c_import = time.process_time()
pic = read_picture(sys.argv[1])
load_default_detector(); load_filler(None)
t_load = time.perf_counter(); c_load = time.process_time()
mask = damage_mask(pic.pixels)
t_detect = time.perf_counter(); c_detect = time.process_time()
out, _ = restore(pic.pixels, mask=mask)
t_fill = time.perf_counter(); c_fill = time.process_time()
write_picture(sys.argv[2], out, pic)
t_end = time.perf_counter(); c_end = time.process_time()
gt = np.load(sys.argv[3])
t_truth = time.perf_counter(); c_truth = time.process_time()
restore(pic.pixels, mask=gt)  # the fill a detector that found all of the damage would hand over
t_truth_end = time.perf_counter(); c_truth_end = time.process_time()
tp = int((mask & gt).sum()); p = tp / max(int(mask.sum()), 1); r = tp / max(int(gt.sum()), 1)
print(json.dumps({"read_and_load_s": t_load - t_import, "detect_s": t_detect - t_load, "fill_s": t_fill - t_detect,
                  "write_s": t_end - t_fill, "job_s": t_end - t_import, "import_s": t_import - t0,
                  "fill_truth_s": t_truth_end - t_truth, "cpu_fill_truth_s": c_truth_end - c_truth,
                  "job_truth_s": (t_end - t_import) - (t_fill - t_detect) + (t_truth_end - t_truth),
                  "truth_flagged": float(gt.mean()),
                  "cpu_detect_s": c_detect - c_load, "cpu_fill_s": c_fill - c_detect, "cpu_job_s": c_end - c_import,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "flagged": float(mask.mean()), "precision_grown": p, "recall_grown": r}))
"""


def make_scan(path: Path, gt_path: Path, data: Path, scale: float, seed: int) -> None:
    from inpaintkit.damage.synth import synthesize

    src = sorted((data / "scenes" / "bsds500" / "val").glob("*.jpg"))
    if src:
        img = cv2.imread(str(src[0]))[..., ::-1]
    else:
        from skimage import data as skdata

        img = skdata.astronaut()
    img = cv2.resize(np.ascontiguousarray(img), (3000, 2000), interpolation=cv2.INTER_CUBIC)
    damaged, mask, _ = synthesize(img, np.random.default_rng(seed), scale=scale, scan_p=0.0)
    cv2.imwrite(str(path), damaged[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
    np.save(gt_path, mask)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=Path("../shared/data"))
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=2, help="torch threads (this machine has 2 cores)")
    p.add_argument("--scale", type=float, default=2.5, help="damage size for the scan (1 = sized for ~256 px)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        scan, gt, out = Path(tmp) / "scan.jpg", Path(tmp) / "gt.npy", Path(tmp) / "restored.png"
        make_scan(scan, gt, args.data, args.scale, args.seed)
        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
        for i in range(args.repeats):
            r = subprocess.run([sys.executable, "-c", CHILD, str(scan), str(out), str(gt), str(args.threads)],
                               capture_output=True, text=True, env=env, check=True)
            runs.append(json.loads(r.stdout.strip().splitlines()[-1]))
            print(f"run {i + 1}: {json.dumps({k: round(v, 3) for k, v in runs[-1].items()})}", flush=True)
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    res = {"size": "3000x2000", "threads": args.threads, "repeats": args.repeats, "damage_scale": args.scale,
           "median": med, "runs": runs, "cpu": os.cpu_count(), "load_average_1min_at_end": os.getloadavg()[0],
           "targets": {"job_s_max": 15.0, "peak_mb_max": 1536.0,
                       "met": med["job_s"] <= 15.0 and med["peak_rss_mb"] <= 1536.0,
                       "met_with_true_mask": med["job_truth_s"] <= 15.0 and med["peak_rss_mb"] <= 1536.0}}
    print(f"load average before: {os.getloadavg()[0]:.2f}; CPU time (all threads) of the job {med['cpu_job_s']:.1f} s "
          f"(detect {med['cpu_detect_s']:.1f}, fill {med['cpu_fill_s']:.1f})")
    print(f"median over {args.repeats}: job {med['job_s']:.2f} s (read+load {med['read_and_load_s']:.2f}, detect "
          f"{med['detect_s']:.2f}, fill {med['fill_s']:.2f}, write {med['write_s']:.2f}); peak {med['peak_rss_mb']:.0f} MB; "
          f"{100 * med['flagged']:.2f} % flagged")
    print(f"with the synthesis' own mask ({100 * med['truth_flagged']:.2f} % of the pixels) the fill takes "
          f"{med['fill_truth_s']:.2f} s, the job {med['job_truth_s']:.2f} s")
    if args.json:
        args.json.write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
