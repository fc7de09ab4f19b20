"""Pack the training data for a GPU machine that reaches nothing outside.

Each image is preprocessed as the trainer does (centre crop + area resize: 128 px faces, 160 px scenes),
re-encoded once as WebP, and written into tar files of at most ``--chunk-mib`` (the device transfer limit is
64 MiB in all). ``--max-mib`` stops adding training faces when the total would pass it (the first ones by name
are kept). ``scripts/gpu/run.sh`` unpacks them into ``../shared/data`` on the GPU machine.

    python scripts/gpu/pack_data.py --out .gpu            # -> .gpu/a.tar, .gpu/b.tar, ..., list_eval_partition.txt
"""
from __future__ import annotations

import argparse
import io
import string
import tarfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

from inpaintkit.data import list_celeba, list_dataset
from inpaintkit.images import preprocess, read_image

DATA = Path("../shared/data")


def encode(job: tuple[str, int, str, int]) -> tuple[str, bytes]:
    src, size, arcname, quality = job
    buf = io.BytesIO()
    Image.fromarray(preprocess(read_image(src), size)).save(buf, "WEBP", quality=quality, method=6)
    return arcname, buf.getvalue()


def jobs(val_faces: int) -> tuple[list, list, str]:
    """(scene + val-face jobs, train-face jobs, the CelebA partition file of what is packed)."""
    cel = DATA / "celeba"
    train, val = list_celeba(cel, "train"), list_celeba(cel, "val")[:val_faces]
    faces = lambda ps: [(str(p), 128, f"celeba/img_align_celeba/{p.stem}.webp", 85) for p in ps]  # noqa: E731
    scenes = [(str(p), 160, "scenes/" + p.relative_to(DATA / "scenes").with_suffix(".webp").as_posix(), 88)
              for sub in ("imagenet_samples", "bsds500/train") for p in list_dataset(DATA / "scenes" / sub)]
    part = "".join(f"{p.stem}.webp {s}\n" for s, ps in ((0, train), (1, val)) for p in ps)
    return scenes + faces(val), faces(train), part


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(".gpu"))
    ap.add_argument("--chunk-mib", type=float, default=31.0)
    ap.add_argument("--max-mib", type=float, default=60.0)
    ap.add_argument("--val-faces", type=int, default=200)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    first, train, _ = jobs(args.val_faces)
    names, total, chunk, tf, kept = iter(string.ascii_lowercase), 0.0, 0.0, None, []
    with ThreadPoolExecutor(2) as pool:
        for arcname, data in pool.map(encode, first + train):
            mib = len(data) / 2**20
            if total + mib > args.max_mib:
                break
            if tf is None or chunk + mib > args.chunk_mib:
                if tf:
                    tf.close()
                tf, chunk = tarfile.open(args.out / f"{next(names)}.tar", "w"), 0.0
            info = tarfile.TarInfo(arcname)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
            total, chunk = total + mib, chunk + mib
            kept.append(arcname)
    if tf:
        tf.close()
    packed = {Path(a).stem for a in kept if a.startswith("celeba/")}
    part = "".join(line + "\n" for line in jobs(args.val_faces)[2].splitlines() if Path(line.split()[0]).stem in packed)
    (args.out / "list_eval_partition.txt").write_text(part)
    print(f"packed {len(kept)} images ({total:.1f} MiB) into {args.out}; {len(first) + len(train) - len(kept)} left out")


if __name__ == "__main__":
    main()
