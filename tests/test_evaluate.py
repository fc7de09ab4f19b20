"""The evaluation protocol: agreement with the independent reference run, pairing, JSON shape, the CLI."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from inpaintkit import evaluate as ev
from inpaintkit import eval_report as report
from inpaintkit.cli import app
from inpaintkit.images import read_mask
from inpaintkit.mask_bands import BANDS

KEYS = {"mse", "psnr", "hole_psnr", "ssim", "l1", "sharpness", "swd", "color_error", "med_mse", "med_psnr", "med_ssim", "ms_per_image", "n"}


# --- the independent reference (real data) -----------------------------------------------------


@pytest.mark.data
def test_matches_reference_first_200_faces(data_dir):
    """telea and ns on the first 200 CelebA test faces at 128 reproduce the reference run of the protocol."""
    ref_file = data_dir / "reference" / "classical_128_celeba_test_first200.json"
    if not (data_dir / "celeba").is_dir() or not ref_file.is_file():
        pytest.skip(f"CelebA or {ref_file.name} not found under {data_dir}")
    ref = json.loads(ref_file.read_text())["methods"]
    pairs = ev.prepare_pairs(data_dir / "celeba", "test", data_dir / "masks" / "nvidia_irregular_test", 128, limit=200,
                             progress=False)
    assert pairs.names[0] == "182641.jpg" and len(pairs) == 200
    results = ev.evaluate_pairs(["telea", "ns"], pairs, progress=False)
    for method in ("telea", "ns"):
        assert list(results[method]["bands"]) == BANDS
        for band, want in ref[method].items():
            got = results[method]["bands"][band]
            assert got["n"] == 200
            # The reference is rounded to 0.01 dB and 0.001 SSIM; the protocol promises 0.05 dB and 0.0005 SSIM.
            assert abs(got["psnr"] - want["psnr"]) <= 0.05, (method, band, got["psnr"], want["psnr"])
            assert abs(got["hole_psnr"] - want["hole_psnr"]) <= 0.05, (method, band, got["hole_psnr"], want["hole_psnr"])
            assert abs(got["ssim"] - want["ssim"]) <= 0.0005 + 1e-9, (method, band, got["ssim"], want["ssim"])


# --- a tiny synthetic CelebA layout and mask folder ---------------------------------------------


def _smooth_image(rng, h, w):
    """A smooth random RGB picture (so inpainting is meaningful and never exact)."""
    small = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    img = np.asarray(Image.fromarray(small).resize((w, h), Image.BICUBIC))
    noise = rng.integers(-8, 9, img.shape)
    return np.clip(img.astype(int) + noise, 0, 255).astype(np.uint8)


@pytest.fixture
def tiny(tmp_path):
    """5 test faces (40x48, names out of order on disk), 2 train faces, and NVIDIA-numbered masks:
    band 0-10 holds 2 masks, band 20-30 holds 3."""
    rng = np.random.default_rng(0)
    root = tmp_path / "celeba"
    (root / "img_align_celeba").mkdir(parents=True)
    names = {"000105.jpg": 2, "000101.jpg": 2, "000104.jpg": 2, "000102.jpg": 2, "000103.jpg": 2, "000001.jpg": 0, "000002.jpg": 0}
    for name in names:
        Image.fromarray(_smooth_image(rng, 48, 40)).save(root / "img_align_celeba" / name, quality=95)
    (root / "list_eval_partition.txt").write_text("".join(f"{n} {s}\n" for n, s in names.items()))
    masks = tmp_path / "masks"
    masks.mkdir()
    for name, (y0, y1) in {"00010.png": (0, 4), "00020.png": (20, 28), "04001.png": (8, 24), "04002.png": (30, 60),
                           "04003.png": (40, 64)}.items():
        m = np.zeros((64, 64), np.uint8)
        m[y0:y1, 10:50] = 255
        Image.fromarray(m).save(masks / name)
    return root, masks


def test_pairs_sorted_and_paired_i_mod_count(tiny):
    root, masks = tiny
    pairs = ev.prepare_pairs(root, "test", masks, 32, progress=False)
    assert pairs.names == ["000101.jpg", "000102.jpg", "000103.jpg", "000104.jpg", "000105.jpg"]
    assert pairs.images.shape == (5, 32, 32, 3) and pairs.images.dtype == np.uint8
    assert pairs.bands == ["0-10", "20-30"]
    expect = {"0-10": ["00010.png", "00020.png"], "20-30": ["04001.png", "04002.png", "04003.png"]}
    for band, files in expect.items():
        for i in range(5):
            want = files[i % len(files)]
            assert pairs.mask_name(band, i) == want
            np.testing.assert_array_equal(pairs.hole(band, i), read_mask(masks / want, size=(32, 32)))
    # --limit keeps the first images by name
    assert ev.prepare_pairs(root, "test", masks, 32, limit=2, progress=False).names == ["000101.jpg", "000102.jpg"]


def test_evaluate_json_shape_and_values(tiny):
    root, masks = tiny
    res = ev.evaluate(["telea", "ns"], root, "test", masks, 32, progress=False)
    assert list(res) == ["telea", "ns"]
    for r in res.values():
        assert set(r) == {"bands", "mean"}
        assert list(r["bands"]) == ["0-10", "20-30"]
        for band in r["bands"].values():
            assert set(band) == KEYS and band["n"] == 5
            assert np.isfinite([band[k] for k in KEYS]).all()
            assert 0 < band["ssim"] < 1 and band["mse"] > 0 and band["l1"] > 0
            assert band["hole_psnr"] < band["psnr"]  # only hole pixels differ, so the hole error is larger
            # per-image PSNRs averaged: by Jensen at least the PSNR of the mean MSE (equal only if all MSEs are)
            assert band["psnr"] > 10 * np.log10(255**2 / band["mse"])
        assert r["mean"]["n"] == 10
        for k in KEYS - {"n"}:
            assert r["mean"][k] == pytest.approx(np.mean([b[k] for b in r["bands"].values()]))
    # bigger holes are harder
    assert res["telea"]["bands"]["20-30"]["mse"] > res["telea"]["bands"]["0-10"]["mse"]
    json.dumps(res, allow_nan=False)  # valid JSON


def test_same_pairs_same_numbers(tiny):
    """Deterministic: evaluating twice gives identical metrics (timings aside)."""
    root, masks = tiny
    pairs = ev.prepare_pairs(root, "test", masks, 32, progress=False)
    a = ev.evaluate_pairs(["telea"], pairs, progress=False)["telea"]["bands"]
    b = ev.evaluate_pairs(["telea"], pairs, progress=False)["telea"]["bands"]
    for band in a:
        assert {k: v for k, v in a[band].items() if k != "ms_per_image"} == {k: v for k, v in b[band].items() if k != "ms_per_image"}


def test_format_table_is_markdown():
    band = {"mse": 12.5, "psnr": 37.1, "hole_psnr": 20.2, "ssim": 0.98765, "l1": 1.2, "sharpness": 0.812,
            "swd": 0.00734, "color_error": 1.234, "ms_per_image": 3.25, "n": 7}
    res = {"telea": {"bands": {"0-10": band, "10-20": band}, "mean": {**band, "n": 14}}}
    text = report.format_table(res)
    lines = text.splitlines()
    assert len(lines) == 2 + 3
    assert len({len(line) for line in lines}) == 1  # aligned
    assert all(line.startswith("| ") and line.endswith(" |") for line in lines[:1] + lines[2:])
    assert set(lines[1]) <= set("|-:")
    assert "0.9877" in lines[2] and "37.10" in lines[2] and lines[4].split("|")[2].strip() == "mean"
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert header == ["method", "band", "MSE", "PSNR", "hole-PSNR", "SSIM", "L1", "sharp", "SWDx1e3", "dE", "ms/img", "n"]
    cells = [c.strip() for c in lines[2].strip("|").split("|")]
    assert cells[7:10] == ["0.81", "7.34", "1.23"]  # SWD is shown x1e3


def test_format_table_shows_a_dash_for_a_missing_or_nan_metric():
    band = {"mse": 1.0, "psnr": 40.0, "hole_psnr": 30.0, "ssim": 0.99, "l1": 0.5, "sharpness": float("nan"),
            "ms_per_image": 1.0, "n": 1}  # no swd / color_error: a results file from before they existed
    cells = [c.strip() for c in report.format_table({"m": {"bands": {"0-10": band}, "mean": band}}).splitlines()[2].strip("|").split("|")]
    assert cells[7:10] == ["–", "–", "–"]


def test_realism_metrics_of_a_blurry_and_an_exact_fill():
    import cv2

    rng = np.random.default_rng(0)
    truth = cv2.GaussianBlur(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8), (0, 0), 1.0)
    hole = np.zeros((48, 48), bool)
    hole[12:36, 12:36] = True
    exact = ev._summarise([ev.image_metrics(truth, truth, hole)], 1.0)
    assert exact["sharpness"] == 1.0 and exact["swd"] == 0.0 and exact["color_error"] == 0.0
    blurry = truth.copy()
    blurry[hole] = cv2.GaussianBlur(truth, (0, 0), 4.0)[hole]
    b = ev._summarise([ev.image_metrics(truth, blurry, hole)], 1.0)
    assert b["sharpness"] < 0.5 and b["swd"] > 0.005 and b["color_error"] < 5  # a blur keeps the mean colour roughly


def test_grid_rows_spread_over_bands(tiny):
    root, masks = tiny
    pairs = ev.prepare_pairs(root, "test", masks, 32, progress=False)
    rows = report.grid_rows(pairs, n=4)
    assert [r.label.split()[0] for r in rows] == ["0-10", "0-10", "20-30", "20-30"]
    assert rows[-1].hole.any()


def test_bad_arguments_raise_eval_error(tiny, tmp_path):
    root, masks = tiny
    with pytest.raises(ev.EvalError, match="unknown model 'nope'.*telea"):
        ev.check_methods(["nope"])
    with pytest.raises(ev.EvalError, match="size"):
        ev.prepare_pairs(root, "test", masks, 0)
    with pytest.raises(ev.EvalError, match="does not exist"):
        ev.prepare_pairs(tmp_path / "missing", "test", masks, 32)


# --- the command line ---------------------------------------------------------------------------

runner = CliRunner()


def test_cli_eval_writes_json_and_grid(tiny, tmp_path):
    root, masks = tiny
    out, grid = tmp_path / "out" / "r.json", tmp_path / "g.png"
    r = runner.invoke(app, ["eval", "--method", "telea", "--method", "biharmonic", "--data", str(root), "--masks", str(masks),
                            "--size", "32", "--json", str(out), "--grid", str(grid), "--quiet"])
    assert r.exit_code == 0, r.output
    assert "| telea" in r.output and "20-30 %" in r.output and "| mean " in r.output
    res = json.loads(out.read_text())
    assert list(res) == ["telea", "biharmonic"] and set(res["biharmonic"]["bands"]["0-10"]) == KEYS
    with Image.open(grid) as im:
        assert im.format == "PNG" and im.width >= 4 * 100 and im.height >= 6 * 100  # 4 columns x 6 rows, labelled
    assert not list(out.parent.glob(".*tmp"))  # the atomic write left no temporary file


def _bad(args):
    r = runner.invoke(app, ["eval", *args, "--quiet"])
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output and (r.exception is None or isinstance(r.exception, SystemExit))
    err = r.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), r.stderr
    return err[0]


def test_cli_bad_arguments_one_line_exit_2(tiny, tmp_path):
    root, masks = tiny
    empty = tmp_path / "empty"
    empty.mkdir()
    ok = ["--data", str(root), "--masks", str(masks), "--size", "32"]
    assert "nope" in _bad(["--method", "nope", *ok]) and "telea" in _bad(["--method", "nope", *ok])
    assert "does not exist" in _bad(["--method", "telea", "--data", str(tmp_path / "missing"), "--masks", str(masks)])
    assert "does not exist" in _bad(["--method", "telea", "--data", str(root), "--masks", str(tmp_path / "missing")])
    assert "no images" in _bad(["--method", "telea", "--data", str(empty), "--masks", str(masks)])
    assert "no mask" in _bad(["--method", "telea", "--data", str(root), "--masks", str(empty)])
    assert "size" in _bad(["--method", "telea", "--data", str(root), "--masks", str(masks), "--size", "0"])
    assert "limit" in _bad(["--method", "telea", *ok, "--limit", "0"])
    assert "split" in _bad(["--method", "telea", "--data", str(root), "--masks", str(masks), "--split", "nope"])
    assert "--method" in _bad(["--data", str(root), "--masks", str(masks)])
    assert "--data" in _bad(["--method", "telea", "--masks", str(masks)])


def test_process_pool_gives_the_same_metrics(tiny):
    """workers=2 (spawned processes, each timing its own images) reproduces the serial metrics exactly."""
    root, masks = tiny
    pairs = ev.prepare_pairs(root, "test", masks, 32, progress=False)
    serial = ev.evaluate_pairs(["ns"], pairs, progress=False)["ns"]
    pooled = ev.evaluate_pairs(["ns"], pairs, progress=False, workers=2)["ns"]
    for band in serial["bands"]:
        a, b = serial["bands"][band], pooled["bands"][band]
        assert {k: a[k] for k in KEYS - {"ms_per_image"}} == {k: b[k] for k in KEYS - {"ms_per_image"}}
        assert b["ms_per_image"] > 0


def test_exact_fill_counts_as_psnr_cap():
    """An exact fill (MSE 0) has infinite PSNR; it counts as PSNR_CAP so band means stay finite."""
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    hole = np.zeros((16, 16), bool)
    hole[4:8, 4:8] = True
    exact = ev.image_metrics(truth, truth.copy(), hole)
    assert exact["psnr"] == exact["hole_psnr"] == ev.PSNR_CAP and exact["mse"] == 0
    off = truth.copy()
    off[5, 5, 0] ^= 1  # one value off by one: the largest finite PSNR, still below the cap
    r = ev.image_metrics(truth, off, hole)
    assert r["psnr"] == pytest.approx(10 * np.log10(255**2 * 16 * 16 * 3)) and r["psnr"] < ev.PSNR_CAP


def test_write_json_atomic_and_readable(tmp_path):
    path = report.write_json(tmp_path / "sub" / "r.json", {"telea": {"bands": {}, "mean": {}}})
    assert json.loads(path.read_text()) == {"telea": {"bands": {}, "mean": {}}}
    assert path.stat().st_mode & 0o044  # group/other may read it (mkstemp alone would leave 0600)
    assert [p.name for p in path.parent.iterdir()] == ["r.json"]


def test_medical_metrics_are_in_every_result_and_selectable(tmp_path):
    from inpaintkit.eval_report import format_table

    truth = np.tile(np.linspace(20, 230, 32).astype(np.uint8)[None, :, None], (32, 1, 3))
    hole = np.zeros((32, 32), bool)
    hole[8:20, 8:20] = True
    out = truth.copy()
    out[hole] = np.clip(out[hole].astype(int) + 10, 0, 255)
    m = ev.image_metrics(truth, out, hole)
    assert 0 < m["med_mse"] < 0.01 and 20 < m["med_psnr"] < 60 and 0 < m["med_ssim"] < 1
    exact = ev.image_metrics(truth, truth, hole)
    assert exact["med_mse"] == 0 and exact["med_psnr"] == ev.PSNR_CAP
    res = {"x": {"bands": {"0-10": {**{k: 1.0 for k in ev.METRICS}, "n": 1}}, "mean": {k: 1.0 for k in ev.METRICS}}}
    table = format_table(res, "medical")
    assert "hole PSNR" in table and "SWD" not in table
    with pytest.raises(ValueError, match="protocol, medical"):
        format_table(res, "nope")
