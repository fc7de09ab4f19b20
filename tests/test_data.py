"""data.py: CelebA layout and image folders, parallel loading with the protocol preprocessing, the Dataset."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import inpaintkit.data as D
from inpaintkit.data import DatasetError, InpaintDataset, list_celeba, list_dataset, load_images
from inpaintkit.images import preprocess, read_image
from inpaintkit.masks import MaskGenerator


def _jpeg(path, seed, size=(22, 18)):
    img = np.random.default_rng(seed).integers(0, 256, (*size, 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(path, quality=95)


@pytest.fixture
def celeba(tmp_path):
    root = tmp_path / "celeba"
    split = {"000003.jpg": 0, "000001.jpg": 0, "000002.jpg": 1, "000005.jpg": 2, "000004.jpg": 2, "000009.jpg": 2}
    for k, name in enumerate(split):
        if name != "000009.jpg":  # listed but absent: skipped
            _jpeg(root / "img_align_celeba" / name, k)
    (root / "list_eval_partition.txt").write_text("".join(f"{n} {s}\n" for n, s in split.items()))
    return root


def test_list_celeba_splits(celeba):
    assert [p.name for p in list_celeba(celeba, "train")] == ["000001.jpg", "000003.jpg"]
    assert [p.name for p in list_celeba(celeba, "val")] == ["000002.jpg"]
    assert [p.name for p in list_celeba(celeba, "test")] == ["000004.jpg", "000005.jpg"]
    assert list_dataset(celeba, "val") == list_celeba(celeba, "val")


def test_list_celeba_errors(celeba, tmp_path):
    with pytest.raises(DatasetError, match="unknown split"):
        list_celeba(celeba, "training")
    with pytest.raises(DatasetError, match="img_align_celeba"):
        list_celeba(tmp_path, "train")
    (celeba / "list_eval_partition.txt").write_text("000001.jpg 7\n")
    with pytest.raises(DatasetError, match="line 1"):
        list_celeba(celeba, "train")
    (celeba / "list_eval_partition.txt").unlink()
    with pytest.raises(DatasetError, match="list_eval_partition"):
        list_celeba(celeba, "train")
    assert issubclass(DatasetError, ValueError)


def test_list_images_recursive_any_case(tmp_path):
    for rel in ["b.jpg", "a/z.PNG", "a/c.webp", "d.tiff", "e.BMP", "f.jpeg", ".hidden/x.jpg"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (4, 4)).save(tmp_path / rel, format=Image.registered_extensions()[("." + rel.split(".")[-1]).lower()])
    (tmp_path / "notes.txt").write_text("x")
    names = [p.relative_to(tmp_path).as_posix() for p in list_dataset(tmp_path)]
    assert names == ["a/c.webp", "a/z.PNG", "b.jpg", "d.tiff", "e.BMP", "f.jpeg"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no images"):
        list_dataset(tmp_path / "empty")
    with pytest.raises(DatasetError, match="does not exist"):
        list_dataset(tmp_path / "missing")


def test_list_dataset_plain_folder_and_split_subfolder(tmp_path):
    _jpeg(tmp_path / "train" / "1.jpg", 0)
    _jpeg(tmp_path / "val" / "2.jpg", 1)
    assert [p.name for p in list_dataset(tmp_path, "val")] == ["2.jpg"]
    assert [p.name for p in list_dataset(tmp_path, "test")] == ["1.jpg", "2.jpg"]  # no test/: split ignored
    assert [p.name for p in list_dataset(tmp_path)] == ["1.jpg", "2.jpg"]
    with pytest.raises(DatasetError, match="does not exist"):
        list_dataset(tmp_path / "nope")


def test_load_images_matches_preprocess_serial_and_parallel(tmp_path):
    paths = []
    for k in range(70):  # > 64 so that two workers are used
        paths.append(tmp_path / f"{k:03d}.jpg")
        _jpeg(paths[-1], k, size=(22 + k % 3, 18))
    one = load_images(paths, 12, workers=1, progress=False)
    two = load_images(paths, 12, workers=2, progress=False)
    assert one.shape == (70, 12, 12, 3) and one.dtype == np.uint8
    np.testing.assert_array_equal(one, two)
    np.testing.assert_array_equal(one[5], preprocess(read_image(paths[5]), 12))


def test_load_images_cache(tmp_path, monkeypatch):
    paths = [tmp_path / f"{k}.jpg" for k in range(3)]
    for k, p in enumerate(paths):
        _jpeg(p, k)
    first = load_images(paths, 8, workers=1, cache_dir=tmp_path / "cache", progress=False)
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 1

    def boom(job):
        raise AssertionError("decoded although cached")

    monkeypatch.setattr(D, "_load_one", boom)
    np.testing.assert_array_equal(load_images(paths, 8, workers=1, cache_dir=tmp_path / "cache", progress=False), first)
    with pytest.raises(AssertionError):  # another size is another key
        load_images(paths, 6, workers=1, cache_dir=tmp_path / "cache", progress=False)


def _dataset(n=6, size=16, **kw):
    imgs = np.random.default_rng(0).integers(0, 256, (n, size, size, 3), dtype=np.uint8)
    out = kw.pop("crop", None) or size
    return imgs, InpaintDataset(imgs, MaskGenerator(out, "mixed", seed=1), crop=None if out == size else out, **kw)


def test_dataset_items():
    imgs, ds = _dataset(augment=False)
    x, m = ds[2]
    assert len(ds) == 6 and x.shape == (3, 16, 16) and m.shape == (1, 16, 16)
    assert x.dtype == torch.float32 and m.dtype == torch.float32
    assert set(m.unique().tolist()) <= {0.0, 1.0} and m.sum() > 0
    np.testing.assert_allclose(x.permute(1, 2, 0).numpy() * 255, imgs[2], atol=1e-4)  # no augmentation


def test_dataset_deterministic_per_seed_epoch_index():
    imgs, ds = _dataset(augment=True, seed=7)
    a = [ds[i] for i in range(6)]
    _, ds2 = _dataset(augment=True, seed=7)
    for i in range(6):
        assert torch.equal(ds2[i][0], a[i][0]) and torch.equal(ds2[i][1], a[i][1])
    ds.set_epoch(1)
    assert any(not torch.equal(ds[i][1], a[i][1]) for i in range(6))
    ds.set_epoch(0)
    assert torch.equal(ds[3][1], a[3][1])


def test_dataset_flip_is_horizontal():
    imgs, ds = _dataset(n=20, augment=True)
    flipped = 0
    for i in range(20):
        x = (ds[i][0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        if np.array_equal(x, imgs[i][:, ::-1]):
            flipped += 1
        else:
            np.testing.assert_array_equal(x, imgs[i])
    assert 3 <= flipped <= 17


def test_dataset_random_crop():
    imgs, ds = _dataset(n=4, size=16, crop=8, augment=True)
    seen = set()
    for e in range(5):
        ds.set_epoch(e)
        x = (ds[0][0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        assert x.shape == (8, 8, 3)
        hits = [(t, c) for t in range(9) for c in range(9)
                if np.array_equal(x, imgs[0][t:t + 8, c:c + 8]) or np.array_equal(x, imgs[0][t:t + 8, c:c + 8][:, ::-1])]
        assert hits
        seen.add(hits[0])
    assert len(seen) > 1
    _, centre = _dataset(n=4, size=16, crop=8, augment=False)
    np.testing.assert_allclose(centre[0][0].permute(1, 2, 0).numpy() * 255, imgs[0][4:12, 4:12], atol=1e-4)


def test_dataset_errors():
    imgs = np.zeros((2, 16, 16, 3), np.uint8)
    with pytest.raises(ValueError, match="does not match"):
        InpaintDataset(imgs, MaskGenerator(8))
    with pytest.raises(ValueError, match="uint8"):
        InpaintDataset(imgs.astype(np.float32), MaskGenerator(16))
    with pytest.raises(ValueError, match="crop"):
        InpaintDataset(imgs, MaskGenerator(32), crop=32)
    with pytest.raises(IndexError):
        InpaintDataset(imgs, MaskGenerator(16))[2]


def test_dataloader_workers_give_the_same_batches():
    _, ds = _dataset(n=8, augment=True, seed=3)
    ds.set_epoch(2)
    kw = dict(batch_size=4, shuffle=False)
    a = [b for b in torch.utils.data.DataLoader(ds, num_workers=0, **kw)]
    b = [b for b in torch.utils.data.DataLoader(ds, num_workers=2, **kw)]
    for (xa, ma), (xb, mb) in zip(a, b):
        assert torch.equal(xa, xb) and torch.equal(ma, mb)


def test_real_celeba_splits(data_dir):
    root = data_dir / "celeba"
    sizes = {s: len(list_celeba(root, s)) for s in ("train", "val", "test")}
    assert sizes == {"train": 15000, "val": 1000, "test": 2000}
    test = list_celeba(root, "test")
    assert test == sorted(test) and test[0].name >= "182638.jpg"
    img = load_images(test[:4], 128, workers=1, progress=False)
    assert img.shape == (4, 128, 128, 3)
