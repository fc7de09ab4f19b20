"""Screenshots of the web page for docs/editor.md, taken in Debian's Chromium with Playwright.

    PYTHONPATH=src python scripts/editor_screenshots.py [-o docs/img/editor] [--model telea]

Starts ``inpaintkit serve``'s app on a free loopback port (the bundled default model unless ``--model``), opens
scikit-image's ``coffee`` photo (Rachel Michetti, public domain) and takes, in a 1280x800 window:

* ``overview.png``: the spoon selected with a box (smart selection) and grown a little, the sliders' panel;
* ``zoom.png``: zoomed in to 400 % on the saucer's rim, a thin brush stroke along it;
* ``compare.png``: after Fill, the before / after divider;
* ``models.png``: the top bar with ``faces`` picked in the model list and its one-line description;
* ``phone.png``: the same page in a 390x844 phone window.

``detect.png`` (Detect damage on an old photo) is taken only where the server offers detection
(``inpaintkit.restore`` importable, with its detector's weights).
"""
from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
OLD_PHOTO = ROOT.parent / "shared/data/old_photos/fds_cinestill50d_half_1.jpg"


def serve(model):
    import uvicorn

    from inpaintkit.server import bind, create_app

    sock = bind("127.0.0.1", 0)
    srv = uvicorn.Server(uvicorn.Config(create_app(model), log_level="warning"))
    threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not srv.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{sock.getsockname()[1]}/", srv


def to_screen(page, x, y):
    box = page.locator("#stage").bounding_box()
    s = box["width"] / page.evaluate("document.getElementById('image-canvas').width")
    return box["x"] + (x + 0.5) * s, box["y"] + (y + 0.5) * s


def drag(page, a, b, steps=12):
    page.mouse.move(*to_screen(page, *a))
    page.mouse.down()
    page.mouse.move(*to_screen(page, *b), steps=steps)
    page.mouse.up()


def open_photo(page, path):
    page.set_input_files("#file-input", str(path))
    page.wait_for_selector("#stage:not([hidden])")


def idle(page):
    page.wait_for_function("document.body.dataset.busy === 'false'")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", type=Path, default=ROOT / "docs/img/editor")
    ap.add_argument("--model", default=None, help="model spec the server fills with (default: the bundled one)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    import skimage.data
    from PIL import Image
    from playwright.sync_api import sync_playwright

    photo = args.out / "_coffee.png"
    Image.fromarray(skimage.data.coffee()).save(photo)
    url, srv = serve(args.model)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(url)
            page.wait_for_function("document.body.dataset.ready === 'true'")
            open_photo(page, photo)

            page.keyboard.press("s")  # smart selection: a box around the spoon
            drag(page, (312, 52), (436, 338))
            page.wait_for_function("document.getElementById('status').textContent.startsWith('Selected')")
            page.focus("#layer-grow")
            for _ in range(4):
                page.keyboard.press("ArrowRight")
            page.locator("#stage").hover()
            page.mouse.move(*to_screen(page, 200, 360))
            page.screenshot(path=str(args.out / "overview.png"))

            page.click("#layer-done")
            page.keyboard.press("b")
            page.mouse.move(*to_screen(page, 250, 372))
            for _ in range(4):  # zoom about the saucer's rim with the wheel: about 400 %
                page.mouse.wheel(0, -150)
            page.wait_for_timeout(200)
            page.evaluate("(() => { const s = document.getElementById('brush-size'); s.value = '10'; "
                          "s.dispatchEvent(new Event('input')); })()")
            drag(page, (232, 370), (268, 376), steps=20)
            page.mouse.move(*to_screen(page, 262, 380))
            page.screenshot(path=str(args.out / "zoom.png"))

            page.keyboard.press("0")
            page.keyboard.press("Control+z")  # keep the spoon only
            page.keyboard.press("f")
            idle(page)
            page.keyboard.press("c")
            page.mouse.move(*to_screen(page, 372, 200))
            page.screenshot(path=str(args.out / "compare.png"))
            page.keyboard.press("c")

            page.select_option("#model-picker", "faces")  # another model, with its one-line description
            page.screenshot(path=str(args.out / "models.png"), clip={"x": 0, "y": 0, "width": 1280, "height": 140})

            phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
            phone.goto(url)
            phone.wait_for_function("document.body.dataset.ready === 'true'")
            open_photo(phone, photo)
            drag(phone, (150, 120), (300, 140))
            phone.screenshot(path=str(args.out / "phone.png"))

            if page.evaluate("!document.getElementById('detect').hidden") and OLD_PHOTO.exists():
                open_photo(page, OLD_PHOTO)
                page.keyboard.press("d")
                page.wait_for_function("document.getElementById('status').textContent.startsWith('Detected')",
                                       timeout=300_000)
                page.screenshot(path=str(args.out / "detect.png"))
            browser.close()
    finally:
        srv.should_exit = True
        photo.unlink(missing_ok=True)
    print("wrote", ", ".join(sorted(q.name for q in args.out.glob("*.png"))))


if __name__ == "__main__":
    main()
