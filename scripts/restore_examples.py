"""Pictures of ``restore`` on the real damaged photos (photo | detected mask | restored) and figures against
the reference masks where the data has them.

    nice -n 15 python scripts/restore_examples.py --out docs/img/restore --json docs/results/damage-real.json

Photos: ../shared/data/old_photos (see ../shared/data/README_video_old_photos.md); ``*_mask.png`` are reference
masks (lincoln: hand-marked and dilated 7x7; fds: approximate, from the expert restoration), ``*_restored_gt``
the expert's restoration. Also one synthetic example on a CelebA test face (photo | detected | restored | truth).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np
import torch

from inpaintkit.images import read_mask
from inpaintkit.inference import read_picture
from inpaintkit.restore import damage_mask, detect, restore, resolve_detector, threshold_for

PANEL_H = 420


def _rgb(a: np.ndarray) -> np.ndarray:
    a = a if a.ndim == 3 else a[..., None]
    a = a[..., :3] if a.shape[2] >= 3 else np.repeat(a[..., :1], 3, 2)
    return (a // 257).astype(np.uint8) if a.dtype == np.uint16 else a


def panels(images: list, labels: list) -> np.ndarray:
    out = []
    for im, lab in zip(images, labels):
        im = _rgb(im)
        s = PANEL_H / im.shape[0]
        im = cv2.resize(im, (round(im.shape[1] * s), PANEL_H), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_NEAREST)
        im = np.ascontiguousarray(im)
        cv2.rectangle(im, (0, 0), (12 + 9 * len(lab), 22), (0, 0, 0), -1)
        cv2.putText(im, lab, (5, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
        out += [im, np.full((PANEL_H, 6, 3), 255, np.uint8)]
    return np.concatenate(out[:-1], 1)


def mask_image(m: np.ndarray) -> np.ndarray:
    return np.where(m, 255, 0).astype(np.uint8)


def scores(pred: np.ndarray, ref: np.ndarray) -> dict:
    tp = int((pred & ref).sum())
    p, r = tp / max(int(pred.sum()), 1), tp / max(int(ref.sum()), 1)
    return {"precision": p, "recall": r, "f1": 2 * p * r / max(p + r, 1e-12)}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=Path("../shared/data"))
    p.add_argument("--out", type=Path, default=Path("docs/img/restore"))
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--sensitivity", type=float, default=0.5)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    folder = args.data / "old_photos"
    photos = sorted(q for q in folder.iterdir() if q.stem.endswith(("_mask", "_restored_gt")) is False)
    net, t0 = resolve_detector(None)
    t = threshold_for(t0, args.sensitivity)
    res = {"sensitivity": args.sensitivity, "threshold": t, "photos": {}}
    for ph in photos:
        pic = read_picture(ph)
        prob = detect(pic.pixels, net)
        raw = prob >= t
        mask = damage_mask(pic.pixels, net, sensitivity=args.sensitivity)
        out, _ = restore(pic.pixels, mask=mask)
        row = {"size": f"{pic.pixels.shape[1]}x{pic.pixels.shape[0]}", "flagged_raw": float(raw.mean()),
               "filled": float(mask.mean())}
        ref_path = folder / f"{ph.stem}_mask.png"
        imgs, labels = [pic.pixels, mask_image(mask), out], ["photo", "detected (grown 2 px)", "restored"]
        if ref_path.is_file():
            ref = read_mask(ref_path)
            row["vs_reference"] = {"raw": scores(raw, ref), "grown": scores(mask, ref), "reference_fraction": float(ref.mean())}
            imgs.append(mask_image(ref))
            labels.append("reference mask")
        res["photos"][ph.name] = row
        cv2.imwrite(str(args.out / f"{ph.stem}.png"), panels(imgs, labels)[..., ::-1])
        print(ph.name, json.dumps(row), flush=True)
    # one synthetic example on a test face, with the truth
    from inpaintkit.damage.synth import synthesize

    celeba = args.data / "celeba"
    from inpaintkit.data import list_dataset

    face = cv2.imread(str(list_dataset(celeba, "test")[7]))[..., ::-1]
    face = cv2.resize(np.ascontiguousarray(face), (356, 436), interpolation=cv2.INTER_CUBIC)
    damaged, gt, _ = synthesize(face, np.random.default_rng(5), scale=1.5)
    mask = damage_mask(damaged, net, sensitivity=args.sensitivity)
    out, _ = restore(damaged, mask=mask)
    raw = damage_mask(damaged, net, sensitivity=args.sensitivity, grow=0)
    res["synthetic_face"] = {"raw": scores(raw, gt), "original_psnr_restored": float(cv2.PSNR(face, out)),
                             "original_psnr_damaged": float(cv2.PSNR(face, damaged))}
    cv2.imwrite(str(args.out / "synthetic_face.png"),
                panels([damaged, mask_image(mask), out, mask_image(gt), face],
                       ["synthetic damage", "detected", "restored", "true mask", "original"])[..., ::-1])
    print("synthetic", json.dumps(res["synthetic_face"]))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
