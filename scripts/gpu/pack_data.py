# Pack the training data for a GPU machine that reaches nothing outside: preprocessed as the trainer does
# (centre crop + area resize), re-encoded as WebP, in tar chunks of < 32 MiB (the device transfer limit is 64 MiB).
# Run from the repo root: python scripts/gpu/pack_data.py  ->  .gpu/a.tar .gpu/b.tar .gpu/list_eval_partition.txt
# (the session then moved the last 300 faces of a.tar to b.tar and dropped the last 1,000 of b.tar to fit).
import io, tarfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from PIL import Image
from inpaintkit.data import list_celeba, list_images
from inpaintkit.images import preprocess, read_image
D = Path("../shared/data"); QF, QS = 85, 88
def enc(job):
    src, size, arc = job
    b = io.BytesIO(); Image.fromarray(preprocess(read_image(src), size)).save(b, "WEBP", quality=QS if arc.startswith("scenes") else QF, method=6)
    return arc, b.getvalue()
def write(tarpath, jobs):
    with tarfile.open(tarpath, "w") as tf, ThreadPoolExecutor(2) as pool:
        for arc, data in pool.map(enc, jobs):
            ti = tarfile.TarInfo(arc); ti.size = len(data); tf.addfile(ti, io.BytesIO(data))
    print(tarpath, Path(tarpath).stat().st_size / 2**20, "MiB", len(jobs))
cel = D / "celeba"
train = list_celeba(cel, "train"); val = list_celeba(cel, "val")[:200]
cj = lambda ps: [(str(p), 128, f"celeba/img_align_celeba/{p.stem}.webp") for p in ps]
scenes = [(str(p), 160, "scenes/" + p.relative_to(D / "scenes").with_suffix(".webp").as_posix())
          for sub in ("imagenet_samples", "bsds500/train") for p in list_images(D / "scenes" / sub)]
part = "".join(f"{p.stem}.webp {s}\n" for s, ps in ((0, train), (1, val)) for p in ps)
Path(".gpu/list_eval_partition.txt").write_text(part)
write(".gpu/a.tar", scenes + cj(val) + cj(train[:5200]))
write(".gpu/b.tar", cj(train[5200:]))
