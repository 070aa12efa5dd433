"""Draw the app icons (联 in gold on party red) with headless Chromium; the PNGs are committed.

Run once after changing the design:  .venv/bin/python pwa/icons/make_icons.py
Needs Playwright for Python, /usr/bin/chromium, a CJK font (Debian: fonts-noto-cjk) and Pillow (the dev
extra).

Chromium's screenshots are true-colour PNGs (125 KB at 512 px); an icon of two colours and their
anti-aliasing needs no more than a 64-colour palette, which makes them ~10× smaller (issue 8: 4 KB at 192 px,
the size the app shows, 12 KB at 512 px, which only the launcher fetches).
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
PALETTE_COLOURS = 64
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# "any": a rounded tile with a transparent margin. "maskable": full bleed, the glyph inside the 80 % safe
# circle that launchers may crop to.
PAGE = """<!doctype html><html><head><style>
html, body {{ margin: 0; background: transparent; }}
.tile {{
  width: {size}px; height: {size}px; box-sizing: border-box; position: relative;
  border-radius: {radius}px; overflow: hidden;
  background: radial-gradient(circle at 30% 25%, #d32f2f 0%, #b71c1c 55%, #7f1010 100%);
  display: flex; align-items: center; justify-content: center;
}}
.ring {{
  position: absolute; inset: {ring_inset}px; border-radius: {ring_radius}px;
  border: {ring_width}px solid rgba(242, 193, 78, 0.85);
}}
.glyph {{
  font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", serif; font-weight: 900;
  font-size: {glyph}px; line-height: 1; color: #f6c94f;
  text-shadow: 0 {shadow}px {blur}px rgba(60, 0, 0, 0.45);
  transform: translateY(-{lift}px);
}}
</style></head>
<body><div class="tile"><div class="ring"></div><div class="glyph">联</div></div></body></html>"""


def page_html(size: int, *, maskable: bool) -> str:
    scale = size / 512
    return PAGE.format(
        size=size,
        radius=0 if maskable else round(112 * scale),
        ring_inset=round((70 if maskable else 26) * scale),
        ring_radius=round((300 if maskable else 92) * scale),
        ring_width=max(2, round(10 * scale)),
        glyph=round((250 if maskable else 320) * scale),
        shadow=max(1, round(6 * scale)),
        blur=max(2, round(14 * scale)),
        lift=round(8 * scale),
    )


def write_palette_png(png: bytes, path: Path) -> None:
    """``png`` with its colours reduced to a palette (alpha kept), without dithering: flat areas stay flat
    and compress to almost nothing."""
    image = Image.open(io.BytesIO(png))
    image.load()
    quantized = image.quantize(
        colors=PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
    )
    quantized.save(path, "PNG", optimize=True)


def main() -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        for size in (192, 512):
            for maskable in (False, True):
                page = browser.new_page(viewport={"width": size, "height": size})
                page.set_content(page_html(size, maskable=maskable))
                page.evaluate("document.fonts.ready")
                name = f"{'maskable' if maskable else 'icon'}-{size}.png"
                shot = page.locator(".tile").screenshot(omit_background=True)
                page.close()
                write_palette_png(shot, HERE / name)
                print("wrote", HERE / name, (HERE / name).stat().st_size, "bytes")
        browser.close()


if __name__ == "__main__":
    main()
