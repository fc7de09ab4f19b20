"""Filling a folder of photos: masks matched by file stem, resumable, one bad file never stops the batch.

``inpaintkit fill PHOTOS/ --mask MASKS/ -o OUT/`` runs :func:`fill_folder`: ``photo.jpg`` takes
``MASKS/photo.png`` (any image suffix) or ``photo_mask.png``; a file named ``*_mask`` is always a mask.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from inpaintkit.errors import ImageReadError, InpaintError, LossyOutputWarning
from inpaintkit.dicom import SUFFIXES as DICOM_SUFFIXES
from inpaintkit.fileio import broken_links, shown
from inpaintkit.images import IMAGE_SUFFIXES, list_images
from inpaintkit.inference import fill_file
from inpaintkit.model_spec import load_filler
from inpaintkit.tiling import WORKING_SIZE


@dataclass
class FolderReport:
    """What :func:`fill_folder` did: written names, (name, reason) skipped, (name, note) warnings."""

    filled: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    warned: list = field(default_factory=list)
    failed: int = 0  # skipped for a reason other than "output exists"

    def summary(self, out_dir) -> str:
        total = len(self.filled) + len(self.skipped)
        lines = [f"filled {len(self.filled)} of {total} images -> {out_dir}"]
        if self.warned:
            lines.append("notes:")
            lines += [f"  {shown(n)}: {shown(why)}" for n, why in self.warned]
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)}:")
            lines += [f"  {shown(n)}: {shown(why)}" for n, why in self.skipped]  # a newline in a name: "\n"
        return "\n".join(lines)



def is_mask_name(path: Path) -> bool:
    """A file named like a mask (``photo_mask.png``): never taken for a photo."""
    return path.stem.lower().endswith("_mask")


def match_masks(images: list[Path], masks_dir) -> dict[Path, object]:
    """Map each image to its mask in ``masks_dir`` by file stem (``photo.jpg`` ← ``photo.png``, or else
    ``photo_mask.png``); the value is a Path, or a str saying why there is none.

    A photo is never its own mask: when ``masks_dir`` is the photos' folder, only ``photo_mask.*`` matches."""
    masks_dir = Path(masks_dir)
    by_stem: dict[str, list[Path]] = {}
    broken = broken_links(masks_dir, IMAGE_SUFFIXES)
    for m in list_images(masks_dir):
        by_stem.setdefault(m.stem, []).append(m)
    out: dict[Path, object] = {}
    for img in images:
        same = img.parent.resolve() == masks_dir.resolve()
        found = ([] if same else by_stem.get(img.stem)) or by_stem.get(img.stem + "_mask") or []
        found = [m for m in found if m.resolve() != img.resolve()]
        dangling = [m.name for m in broken if m.stem in ((img.stem + "_mask",) if same else (img.stem, img.stem + "_mask"))]
        if not found and dangling:
            out[img] = f"mask {shown(dangling[0])} is a broken symbolic link (its target does not exist)"
        elif not found:
            out[img] = (f"no mask named {shown(img.stem)}_mask.* beside it (the mask folder is the photo folder)" if same
                        else f"no mask named {shown(img.stem)}.* or {shown(img.stem)}_mask.* in {shown(masks_dir)}")
        elif len(found) > 1:
            out[img] = f"several masks match: {', '.join(p.name for p in found)}"
        else:
            out[img] = found[0]
    return out


def fill_folder(images_dir, masks_dir, out_dir, model=None, backend: Optional[str] = None, *, overwrite: bool = False,
                working_size: int = WORKING_SIZE, progress: bool = True,
                window: Optional[tuple[float, float]] = None) -> FolderReport:
    """Fill every image of ``images_dir`` with its mask (matched by stem) into ``out_dir`` (same file names).

    An existing output is skipped unless ``overwrite``; a file that cannot be read or filled is skipped with
    its reason; nothing stops the batch. ``out_dir`` must differ from both input folders.
    """
    from tqdm import tqdm

    images_dir, masks_dir, out_dir = Path(images_dir), Path(masks_dir), Path(out_dir)
    for d, what in ((images_dir, "images"), (masks_dir, "masks")):
        if not d.is_dir():
            raise InpaintError(f"{what} folder not found: {d}")
        if out_dir.exists() and out_dir.resolve() == d.resolve():
            raise InpaintError(f"the output folder must differ from the {what} folder ({d})")
    if out_dir.exists() and not out_dir.is_dir():
        raise InpaintError(f"output '{out_dir}' exists and is not a folder")
    listed = list_images(images_dir, suffixes=IMAGE_SUFFIXES + DICOM_SUFFIXES)  # a DICOM series like photos
    images = [p for p in listed if not is_mask_name(p)]  # photo_mask.png is a mask, wherever it is
    dangling = [p for p in broken_links(images_dir, IMAGE_SUFFIXES + DICOM_SUFFIXES) if not is_mask_name(p)]
    if not images and not dangling:
        raise InpaintError(f"no images ({', '.join(IMAGE_SUFFIXES)}, not named *_mask) in {shown(images_dir)}")
    filler = load_filler(model, backend)  # load once, fail early on a bad model
    report = FolderReport()
    for p in dangling:  # a photo whose link points nowhere is listed, never skipped in silence
        report.skipped.append((p.name, f"broken symbolic link (its target '{shown(os.readlink(p))}' does not exist)"))
        report.failed += 1
    if images_dir.resolve() != masks_dir.resolve():
        report.warned += [(p.name, "named like a mask (*_mask): not filled as a photo") for p in listed if is_mask_name(p)]
    pairs = match_masks(images, masks_dir)
    for img in tqdm(images, desc="fill", unit="img", disable=not progress):
        mask = pairs[img]
        target = out_dir / img.name
        if not isinstance(mask, Path):
            report.skipped.append((img.name, mask))
            report.failed += 1
            continue
        if target.exists() and not overwrite:
            report.skipped.append((img.name, "output exists (use --overwrite)"))
            continue
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", LossyOutputWarning)
                filled = fill_file(img, mask, target, filler, working_size=working_size, window=window)
        except (ImageReadError, InpaintError, OSError) as e:
            report.skipped.append((img.name, str(e).splitlines()[0] if str(e) else type(e).__name__))
            report.failed += 1
            continue
        except Exception as e:  # noqa: BLE001 - one bad file never ends the batch: it is reported with the rest
            report.skipped.append((img.name, f"unexpected {type(e).__name__}: {(str(e).splitlines() or [''])[0][:160]}"))
            report.failed += 1
            continue
        report.filled.append(img.name)
        report.warned += [(img.name, str(w.message)) for w in caught if issubclass(w.category, LossyOutputWarning)]
        if not filled:
            report.warned.append((img.name, f"mask {mask.name} is empty: written unchanged"))
    return report
