"""The page in a real browser: Playwright drives Debian's headless Chromium against the server on loopback.

Set-up (as root, Debian): ``apt-get install -y --no-install-recommends chromium``; the Python ``playwright``
package comes with the test extras. Playwright's own browser download is never used: Chromium is launched
from ``/usr/bin/chromium``. Without either, these tests skip with the reason.
"""
from __future__ import annotations

import base64
import io
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from inpaintkit.models import create_model
from inpaintkit.server import bind, create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not CHROMIUM.exists():
    pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install -y chromium)",
                allow_module_level=True)
try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover
    pytest.skip("browser tests need the Python package playwright (pip install -e '.[test]')",
                allow_module_level=True)

# CI machines are shared and slow at times: give the page time before an expectation fails.
expect.set_options(timeout=15_000)


class GatedTelea:
    """OpenCV Telea behind a gate the test can close, to see the page's busy state."""

    name = "telea"

    def __init__(self):
        self.inner = create_model("telea")
        self.gate = threading.Event()
        self.gate.set()

    def fill(self, image, mask):
        self.gate.wait(30)
        return self.inner.fill(image, mask)


@pytest.fixture(scope="module")
def server():
    """The app under uvicorn on a free loopback port, in a thread of this process."""
    import uvicorn

    model = GatedTelea()
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(model), log_level="warning"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the server did not start")
        time.sleep(0.05)
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}/", model=model)
    srv.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 1100, "height": 760}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(server.url)
    pg.wait_for_function("document.body.dataset.ready === 'true' && document.getElementById('model-picker').value === 'telea'")
    yield pg
    ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="module")
def photo(tmp_path_factory) -> tuple[Path, np.ndarray]:
    """A 160x120 synthetic photo with structure, as a PNG file."""
    y, x = np.mgrid[0:120, 0:160]
    img = np.stack([x * 1.5, y * 2, 255 - x], axis=-1).astype(np.uint8)
    img[(x // 20 + y // 20) % 2 == 0] //= 2  # a checkerboard so a fill visibly differs
    path = tmp_path_factory.mktemp("photo") / "photo.png"
    Image.fromarray(img).save(path)
    return path, img


# --- helpers -------------------------------------------------------------------------------------


def to_screen(page, x: float, y: float) -> tuple[float, float]:
    """Image pixel (x, y) -> page coordinates of the displayed (scaled) image."""
    box = page.locator("#stage").bounding_box()
    width = page.evaluate("document.getElementById('image-canvas').width")
    s = box["width"] / width
    return box["x"] + (x + 0.5) * s, box["y"] + (y + 0.5) * s


def paint(page, points: list[tuple[float, float]]) -> None:
    """One mouse stroke through image pixels ``points``."""
    page.mouse.move(*to_screen(page, *points[0]))
    page.mouse.down()
    for p in points[1:]:
        page.mouse.move(*to_screen(page, *p), steps=10)
    page.mouse.up()


def open_photo(page, path: Path) -> None:
    """Click "Open image…" and pick ``path`` in the file chooser."""
    with page.expect_file_chooser() as chooser:
        page.click("#open")
    chooser.value.set_files(str(path))
    page.wait_for_selector("#stage:not([hidden])")


def fill(page, expect_fills: int) -> None:
    page.click("#fill")
    page.wait_for_function(f"document.body.dataset.fills === '{expect_fills}' && document.body.dataset.busy === 'false'")


def download(page, button: str) -> np.ndarray:
    with page.expect_download() as d:
        page.click(button)
    return np.asarray(Image.open(d.value.path()).convert("RGB" if button == "#download-result" else "L"))


def canvas_pixels(page, canvas_id: str) -> np.ndarray:
    url = page.evaluate(f"document.getElementById('{canvas_id}').toDataURL('image/png')")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))


def painted(page) -> np.ndarray:
    """The mask as painted on the page: bool [H,W] from the overlay canvas' alpha (> 127 = hole)."""
    return canvas_pixels(page, "mask-canvas")[..., 3] > 127


# --- tests ---------------------------------------------------------------------------------------


def test_paint_fill_changes_only_the_painted_area_and_downloads(page, photo):
    path, img = photo
    open_photo(page, path)
    assert np.array_equal(canvas_pixels(page, "image-canvas")[..., :3], img)  # shown pixel for pixel
    paint(page, [(20, 30), (80, 35), (130, 30)])
    paint(page, [(60, 80), (62, 105)])
    mask_shown = painted(page)
    fill(page, 1)

    result = download(page, "#download-result")
    mask = download(page, "#download-mask") > 127  # the mask the fill used
    assert result.shape == img.shape and mask.shape == img.shape[:2]
    assert np.array_equal(mask, mask_shown)
    # the strokes are where the mouse went, and nowhere else
    assert mask[32, 20:131].all() and mask[80:106, 61].all()  # brush: 36 px on screen = 9 image px here
    assert not mask[60, :].any() and not mask[:, 150:].any()
    assert 0.05 < mask.mean() < 0.5
    # the returned image differs from the input only inside the painted area
    assert np.array_equal(result[~mask], img[~mask])
    assert np.abs(result[mask].astype(int) - img[mask]).mean() > 3
    # the page now shows the result, with an empty mask for the next edit
    assert np.array_equal(canvas_pixels(page, "image-canvas")[..., :3], result)
    assert not painted(page).any()


def test_undo_redo_with_buttons_and_shortcuts(page, photo):
    path, img = photo
    open_photo(page, path)
    paint(page, [(30, 60), (120, 60)])
    one = painted(page)
    assert one.any()
    paint(page, [(75, 10), (75, 110)])
    two = painted(page)
    assert two.sum() > one.sum()

    page.keyboard.press("Control+z")
    assert np.array_equal(painted(page), one)
    page.keyboard.press("Control+Shift+z")
    assert np.array_equal(painted(page), two)
    page.click("#undo")
    page.keyboard.press("Control+y")
    assert np.array_equal(painted(page), two)

    page.click("#tool-eraser")  # erase a part, then undo the eraser stroke
    paint(page, [(60, 0), (90, 119)])
    assert painted(page).sum() < two.sum()
    page.click("#undo")
    assert np.array_equal(painted(page), two)
    page.click("#tool-brush")

    fill(page, 1)  # undo a fill: the photo and its mask come back; redo: the result again
    filled = canvas_pixels(page, "image-canvas")[..., :3]
    assert not np.array_equal(filled, img)
    page.keyboard.press("Control+z")
    assert np.array_equal(canvas_pixels(page, "image-canvas")[..., :3], img)
    assert np.array_equal(painted(page), two)
    page.click("#redo")
    assert np.array_equal(canvas_pixels(page, "image-canvas")[..., :3], filled)

    page.click("#clear")
    assert not painted(page).any()
    page.keyboard.press("Control+z")
    assert not painted(page).any()  # the fill had emptied the mask already
    assert page.locator("#redo").is_enabled()


def test_compare_and_fill_again_on_the_result(page, photo):
    path, img = photo
    open_photo(page, path)
    assert page.locator("#compare").is_disabled()
    paint(page, [(20, 20), (60, 20)])
    fill(page, 1)

    page.click("#compare")
    assert page.locator("#before-canvas").is_visible() and page.locator("#compare-line").is_visible()
    assert np.array_equal(canvas_pixels(page, "before-canvas")[..., :3], img)
    page.mouse.move(*to_screen(page, 40, 60))  # the divider follows the pointer
    left = page.evaluate("parseFloat(document.getElementById('compare-line').style.left)")
    assert abs(left - 100 * 40.5 / 160) < 2
    assert page.locator("#fill").is_disabled()
    page.keyboard.press("c")
    assert page.locator("#before-canvas").is_hidden()

    paint(page, [(100, 90), (140, 95)])  # iterative editing: the second fill starts from the first result
    fill(page, 2)
    second = download(page, "#download-result")
    mask2 = download(page, "#download-mask") > 127  # the whole mask: both fills
    assert mask2[92, 110:131].all() and mask2[20, 20:61].all() and not mask2[60, :].any()
    assert np.array_equal(second[~mask2], img[~mask2])  # outside the cumulative mask: the photo as opened
    assert not np.array_equal(second[20, 20:61], img[20, 20:61])  # the first fill is kept


def test_busy_state_and_server_error_are_shown(page, photo, server, tmp_path):
    path, img = photo
    open_photo(page, path)
    page.click("#fill")  # nothing painted: the page says so and sends nothing
    expect(page.locator("#error-text")).to_contain_text("Nothing to fill")
    assert page.locator("#error").is_visible() and page.evaluate("document.body.dataset.busy") == "false"

    paint(page, [(20, 20), (60, 20)])
    server.model.gate.clear()
    try:
        page.click("#fill")
        page.wait_for_selector("#busy", state="visible")
        assert page.locator("#error").is_hidden()
        assert page.locator("#fill").is_disabled() and page.locator("#fill").text_content() == "Filling…"
        assert page.evaluate("document.body.getAttribute('aria-busy')") == "true"
    finally:
        server.model.gate.set()
    page.wait_for_selector("#busy", state="hidden")
    assert page.locator("#fill").is_enabled()

    full = tmp_path / "full.png"  # a mask file that covers everything: the server refuses it (422)
    Image.fromarray(np.full(img.shape[:2], 255, np.uint8)).save(full)
    page.set_input_files("#mask-input", str(full))
    expect(page.locator("#status")).to_contain_text("Mask full.png")
    page.click("#fill")
    page.wait_for_selector("#error:not([hidden])")
    text = page.locator("#error-text").text_content()
    assert "(422)" in text and "whole image" in text
    assert page.locator("#fill").is_enabled()  # not stuck busy

    small = tmp_path / "small.png"  # a mask of another size is refused by the page itself
    Image.fromarray(np.full((10, 10), 255, np.uint8)).save(small)
    page.set_input_files("#mask-input", str(small))
    expect(page.locator("#error-text")).to_contain_text("The mask is 10x10 but the image is 160x120")
    page.click("#error-close")
    assert page.locator("#error").is_hidden()


def test_mask_file_instead_of_painting(page, photo, tmp_path):
    path, img = photo
    open_photo(page, path)
    hole = np.zeros(img.shape[:2], np.uint8)
    hole[40:70, 50:90] = 255
    mpath = tmp_path / "mask.png"
    Image.fromarray(hole).save(mpath)
    with page.expect_file_chooser() as chooser:
        page.click("#load-mask")
    chooser.value.set_files(str(mpath))
    expect(page.locator("#status")).to_contain_text("Mask mask.png: 1,200 pixels to fill")
    assert np.array_equal(painted(page), hole > 127)
    fill(page, 1)
    result = download(page, "#download-result")
    assert np.array_equal(result[hole == 0], img[hole == 0])
    assert not np.array_equal(result[hole > 0], img[hole > 0])


def test_drop_a_photo_on_the_page(page, photo):
    path, img = photo
    data = base64.b64encode(path.read_bytes()).decode()
    page.evaluate("""(b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], "dropped.png", {type: "image/png"}));
        window.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
    }""", data)
    page.wait_for_selector("#stage:not([hidden])")
    expect(page.locator("#status")).to_contain_text("dropped.png: 160x120")
    assert np.array_equal(canvas_pixels(page, "image-canvas")[..., :3], img)


def test_rotated_jpeg_mask_lines_up(page, photo, tmp_path):
    """A JPEG with EXIF orientation 6 is shown upright; the mask painted on it fits the server's upright read."""
    from PIL import ImageOps

    _, img = photo
    jpg = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 160x120, displayed rotated 90 degrees clockwise: 120x160
    Image.fromarray(img).save(jpg, quality=95, exif=exif)
    upright = np.asarray(ImageOps.exif_transpose(Image.open(jpg)).convert("RGB"))
    assert upright.shape == (160, 120, 3)
    open_photo(page, jpg)
    assert page.evaluate("[document.getElementById('image-canvas').width, document.getElementById('image-canvas').height]") == [120, 160]
    paint(page, [(30, 40), (90, 40)])
    fill(page, 1)
    result = download(page, "#download-result")
    mask = download(page, "#download-mask") > 127
    assert result.shape == upright.shape and mask[40, 30:91].all()
    assert np.array_equal(result[~mask], upright[~mask])


def test_api_docs_render_offline(page, server):
    page.goto(server.url + "docs")
    expect(page.get_by_text("/api/inpaint", exact=True).first).to_be_visible(timeout=15000)


# --- zoom and pan, the model picker, damage detection, smart selection, shortcuts -----------------


def zoom(page) -> float:
    return float(page.evaluate("document.body.dataset.zoom"))


def stroke_rows_cols(mask: np.ndarray):
    ys, xs = np.nonzero(mask)
    return ys, xs


def test_zoom_keeps_the_brush_exact(page, photo):
    path, img = photo
    open_photo(page, path)
    fit = zoom(page)
    x, y = to_screen(page, 100, 40)  # the wheel zooms about the pointer: that pixel stays under it
    page.mouse.move(x, y)
    for _ in range(6):
        page.mouse.wheel(0, -200)
    page.wait_for_function(f"parseFloat(document.body.dataset.zoom) > {fit * 4}")
    z = zoom(page)
    x2, y2 = to_screen(page, 100, 40)
    assert abs(x2 - x) < z and abs(y2 - y) < z  # within one image pixel on screen
    assert page.locator("#zoom-fit").text_content() == f"{round(100 * z)}%"

    page.evaluate("(() => { const s = document.getElementById('brush-size'); s.value = '8'; "
                  "s.dispatchEvent(new Event('input')); })()")
    paint(page, [(96, 40), (104, 40)])  # a thin line, 8 screen px wide = 8 / zoom image px
    mask = painted(page)
    ys, xs = np.nonzero(mask)
    assert xs.min() >= 94 and xs.max() <= 106 and ys.min() >= 37 and ys.max() <= 43
    assert mask[40, 97:104].all() and (ys.max() - ys.min() + 1) <= 8 / z + 2  # the ends: round caps

    page.mouse.move(x, y)  # pan with a middle-button drag: the photo follows the pointer
    before = page.locator("#stage").bounding_box()
    page.mouse.down(button="middle")
    page.mouse.move(x - 120, y + 50, steps=5)
    page.mouse.up(button="middle")
    after = page.locator("#stage").bounding_box()
    assert abs(after["x"] - before["x"] + 120) < 2 and abs(after["y"] - before["y"] - 50) < 2
    assert np.array_equal(painted(page), mask)  # panning paints nothing

    page.keyboard.down(" ")  # Space + drag pans too
    page.mouse.move(*to_screen(page, 100, 40))
    page.mouse.down()
    page.mouse.move(*to_screen(page, 100, 40)[:1], to_screen(page, 100, 40)[1] - 40, steps=4)
    page.mouse.up()
    page.keyboard.up(" ")
    assert np.array_equal(painted(page), mask)
    paint(page, [(100, 44), (100, 47)])  # after the pans the brush still lands where the pointer is
    new = painted(page) & ~mask
    ys, xs = np.nonzero(new)
    assert abs(xs.mean() - 100) < 1.5 and 43 <= ys.min() and ys.max() <= 48

    page.click("#zoom-out")
    assert abs(zoom(page) - z / 1.5) < 1e-3
    page.keyboard.press("+")
    assert abs(zoom(page) - z) < 1e-3
    page.keyboard.press("0")  # fit
    assert abs(zoom(page) - fit) < 1e-3
    page.keyboard.press("1")  # 100 %
    assert abs(zoom(page) - 1) < 1e-3


def test_model_picker_chooses_the_fill_model(page, photo):
    path, img = photo
    picker = page.locator("#model-picker")
    options = picker.locator("option").all_text_contents()
    assert options[0] == "telea (this server's)" and {"faces", "general", "patchmatch", "ns"} <= set(options)
    assert "fillnet" not in options  # an architecture without weights is not offered
    expect(page.locator("#model-name")).to_contain_text("Telea")
    picker.select_option("ns")
    expect(page.locator("#model-name")).to_contain_text("Navier")
    open_photo(page, path)
    paint(page, [(30, 60), (120, 60)])
    fill(page, 1)
    expect(page.locator("#status")).to_contain_text("with ns (model ")
    ns = canvas_pixels(page, "image-canvas")[..., :3]
    page.keyboard.press("Control+z")
    picker.select_option("telea")
    fill(page, 1)
    expect(page.locator("#status")).to_contain_text("with telea (model ")
    assert not np.array_equal(canvas_pixels(page, "image-canvas")[..., :3], ns)
    wall = int(page.evaluate("document.body.dataset.wallMs"))
    assert wall >= 0


def test_detect_damage_paints_an_editable_layer(page, photo, monkeypatch):
    from inpaintkit.server import routes

    path, img = photo
    monkeypatch.setattr(routes, "damage_detector", lambda: None)
    page.reload()
    page.wait_for_function("document.body.dataset.ready === 'true'")
    assert page.locator("#detect").is_hidden()  # no detector on this server: no button

    def fake_damage_mask(pixels, sensitivity=0.5):
        out = np.zeros(pixels.shape[:2], bool)
        out[50:53, 10:150] = True  # a scratch across the photo
        return out

    monkeypatch.setattr(routes, "damage_detector", lambda: fake_damage_mask)
    page.reload()
    page.wait_for_function("document.body.dataset.ready === 'true'")
    open_photo(page, path)
    expect(page.locator("#detect")).to_be_visible()
    page.keyboard.press("d")
    expect(page.locator("#status")).to_contain_text("Detected 420 damaged pixels")
    mask = painted(page)
    assert mask[50:53, 10:150].all() and mask.sum() == 420
    assert page.locator("#layer-panel").is_visible()
    expect(page.locator("#layer-title")).to_have_text("Detected damage")
    page.focus("#layer-grow")
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    grown = painted(page)
    assert grown.sum() > 420 and grown[46:57, 20:140].all() and not grown[60, :].any()
    page.click("#tool-eraser")  # the layer is painted over like the rest
    paint(page, [(80, 40), (80, 65)])
    assert painted(page).sum() < grown.sum()
    fill(page, 1)
    result = download(page, "#download-result")
    saved = download(page, "#download-mask") > 127
    assert np.array_equal(result[~saved], img[~saved]) and not saved[:, 80].any()


@pytest.fixture(scope="module")
def disc(tmp_path_factory):
    """A 200x150 orange disc on a green, lightly textured background: (path, image, true mask)."""
    y, x = np.mgrid[0:150, 0:200]
    img = np.zeros((150, 200, 3), np.uint8)
    img[:] = (50, 110, 60)
    img[(x // 10 + y // 10) % 2 == 0] += np.array([15, 10, 10], np.uint8)
    inside = (x - 100) ** 2 + (y - 75) ** 2 < 40 ** 2
    img[inside] = (230, 150, 40)
    path = tmp_path_factory.mktemp("disc") / "disc.png"
    Image.fromarray(img).save(path)
    return path, img, inside


def iou(a, b) -> float:
    return float((a & b).sum() / (a | b).sum())


def test_smart_selection_box_click_grow_shrink(page, disc):
    path, img, inside = disc
    open_photo(page, path)
    page.keyboard.press("s")
    assert page.locator("#tool-select").get_attribute("aria-pressed") == "true"
    page.mouse.move(*to_screen(page, 50, 25))  # drag a box around the disc
    page.mouse.down()
    page.mouse.move(*to_screen(page, 150, 125), steps=8)
    assert page.locator("#select-box").is_visible()
    page.mouse.up()
    expect(page.locator("#status")).to_contain_text("Selected")
    sel = painted(page)
    assert iou(sel, inside) >= 0.9
    expect(page.locator("#layer-title")).to_have_text("Selection")

    page.focus("#layer-grow")
    for _ in range(6):
        page.keyboard.press("ArrowRight")
    expect(page.locator("#layer-grow-out")).to_have_text("+6")
    grown = painted(page)
    ring = (np.hypot(*np.mgrid[-75:75, -100:100]) < 44)
    assert grown.sum() > sel.sum() and iou(grown, ring) >= 0.85
    for _ in range(12):
        page.keyboard.press("ArrowLeft")
    shrunk = painted(page)
    assert shrunk.sum() < sel.sum() and (shrunk & ~inside).sum() < 30
    page.focus("#layer-smooth")
    page.keyboard.press("ArrowRight")
    assert page.locator("#layer-smooth-out").text_content() == "1"
    smoothed = painted(page)

    page.keyboard.press("Control+z")  # every slider step is an action of its own: undo takes back the smoothing
    expect(page.locator("#layer-smooth-out")).to_have_text("0")
    assert np.array_equal(painted(page), shrunk)
    page.keyboard.press("Control+Shift+z")  # and redo puts it back
    expect(page.locator("#layer-smooth-out")).to_have_text("1")
    assert np.array_equal(painted(page), smoothed)
    for _ in range(13):  # the smoothing and 12 steps left: back to the selection grown by 6
        page.keyboard.press("Control+z")
    expect(page.locator("#layer-grow-out")).to_have_text("+6")
    assert np.array_equal(painted(page), grown)
    for _ in range(6):  # the 6 steps right: the selection as it came
        page.keyboard.press("Control+z")
    expect(page.locator("#layer-grow-out")).to_have_text("0")
    assert np.array_equal(painted(page), sel)
    page.keyboard.press("Control+z")  # and then the selection itself
    assert not painted(page).any() and page.locator("#layer-panel").is_hidden()

    page.mouse.click(*to_screen(page, 100, 75))  # a click on the object selects it too
    expect(page.locator("#status")).to_contain_text("Selected")
    assert iou(painted(page), inside) >= 0.85


class Magenta:
    """Fills every hole pixel with magenta, so a blend with the photo can be read off the result."""

    def fill(self, image, mask):
        magenta = image.new_tensor([1.0, 0.0, 1.0]).view(1, 3, 1, 1)
        return image * (1 - mask) + magenta * mask


def test_feather_blends_the_fill_into_the_photo_outside_the_outline(page, disc, server, monkeypatch):
    path, img, inside = disc
    monkeypatch.setattr(server.model, "inner", Magenta())
    open_photo(page, path)
    page.keyboard.press("s")
    page.mouse.click(*to_screen(page, 100, 75))
    expect(page.locator("#status")).to_contain_text("Selected")
    sel = painted(page)
    page.focus("#layer-feather")
    for _ in range(8):
        page.keyboard.press("ArrowRight")
    expect(page.locator("#layer-feather-out")).to_have_text("8")
    assert np.array_equal(painted(page), sel)  # feathering does not move the outline
    fill(page, 1)
    result = download(page, "#download-result").astype(int)
    sent = download(page, "#download-mask") > 127  # the fill was asked for the ramp too
    d = np.hypot(*np.mgrid[-75:75, -100:100])  # distance from the disc's centre (radius 40)
    magenta = np.array([255, 0, 255])
    assert np.abs(result[sel] - magenta).max() <= 1  # the selection itself: all fill
    assert sent[(d > 42) & (d < 46)].all() and not sent[d > 56].any()
    far = ~sent
    assert np.array_equal(result[far], img[far])  # past the ramp: the photo, exactly
    ring = (d > 43) & (d < 45) & ~sel  # about f/2 outside: half photo, half fill
    share = (result[ring][:, 0] - img[ring][:, 0].astype(int)) / (255 - img[ring][:, 0].astype(int))
    assert 0.2 < float(np.median(share)) < 0.8

    page.keyboard.press("Control+z")  # undo the fill, then the feather's last step
    page.keyboard.press("Control+z")
    expect(page.locator("#layer-feather-out")).to_have_text("7")

    for _ in range(5):  # feather 2: a ramp narrower than the eraser's stroke below
        page.keyboard.press("Control+z")
    expect(page.locator("#layer-feather-out")).to_have_text("2")
    page.click("#tool-eraser")  # what the eraser takes off a feathered layer is not filled
    for _ in range(4):
        page.keyboard.press("]")
    paint(page, [(100, 50), (100, 100)])
    erased = sel & ~painted(page)
    assert erased[75, 94:107].all()  # a stroke about 15 px wide down the middle of the disc
    fill(page, 1)
    result = download(page, "#download-result").astype(int)
    yy, xx = np.mgrid[0:150, 0:200]
    core = erased & (np.abs(xx - 100) <= 2) & (yy >= 56) & (yy <= 94)  # the middle of the stroke, ramps away
    assert core.sum() > 150 and np.array_equal(result[core], img[core].astype(int))


def test_shortcuts_and_one_request_at_a_time(page, photo, server):
    path, img = photo
    open_photo(page, path)
    size = page.locator("#brush-size-out")
    page.keyboard.press("]")
    assert size.text_content() == "40"
    page.keyboard.press("[")
    page.keyboard.press("[")
    assert size.text_content() == "32"
    page.keyboard.press("e")
    assert page.locator("#tool-eraser").get_attribute("aria-pressed") == "true"
    page.keyboard.press("h")
    assert page.locator("#tool-pan").get_attribute("aria-pressed") == "true"
    page.keyboard.press("b")
    paint(page, [(20, 20), (60, 20)])

    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    server.model.gate.clear()
    try:
        page.dblclick("#fill")  # a double click, then the key: still one fill
        page.keyboard.press("f")
        page.wait_for_selector("#busy", state="visible")
        page.keyboard.press("f")
    finally:
        server.model.gate.set()
    page.wait_for_function("document.body.dataset.fills === '1' && document.body.dataset.busy === 'false'")
    assert [u.rsplit("/", 1)[-1] for u in posts] == ["inpaint"]
    expect(page.locator("#status")).to_contain_text("with telea (model")

    page.keyboard.press("c")
    assert page.locator("#before-canvas").is_visible()
    page.keyboard.press("c")
    assert page.locator("#before-canvas").is_hidden()
    page.keyboard.press("Control+z")
    assert page.evaluate("document.body.dataset.fills") == "0"
    page.keyboard.press("Control+Shift+z")
    assert page.evaluate("document.body.dataset.fills") == "1"
    paint(page, [(100, 90), (140, 95)])
    page.keyboard.press("Control+Enter")
    page.wait_for_function("document.body.dataset.fills === '2' && document.body.dataset.busy === 'false'")
