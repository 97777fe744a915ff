"""The README's screenshots, taken in headless Chromium from a build of the bundled notes.

    python docs/screenshots.py            # writes docs/*.png

Needs what the tests need (Playwright for Python, Debian's chromium) and, for Japanese text that
looks like Japanese, a CJK font (Debian: fonts-noto-cjk).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from search_bytes import CHROMIUM_ARGS, served  # noqa: E402

from kb.build import build_site  # noqa: E402
from kb.config import load_settings  # noqa: E402

DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 360, "height": 740}
RECORD = "records/2503.04504/index.html"  # AnyAnomaly: a long record with its table of contents
SHOTS = [  # file name, page, viewport, a part to scroll to first (CSS selector), `hover:` one, or None
    ("home-desktop.png", "index.html", DESKTOP, None),
    ("record-toc-desktop.png", RECORD, DESKTOP, None),
    ("tag-desktop.png", "tags/peft-adaptor-lora*/index.html", DESKTOP, None),
    ("meeting-desktop.png", "meetings/*/index.html", DESKTOP, None),
    ("record-phone.png", RECORD, PHONE, None),
    ("compute-phone.png", "compute/index.html", PHONE, None),
    ("paper-desktop.png", "papers/*/index.html", DESKTOP, None),
    ("preview-desktop.png", RECORD, DESKTOP, "hover:.graph a"),
    ("digest-desktop.png", "meetings/*/index.html", DESKTOP, ".meeting-digest"),
]


def first_page(site: Path, pattern: str) -> str | None:
    """The first page matching a glob (slugs may carry a hash: tags/peft-adaptor-lora-b82c53/)."""
    pages = sorted(site.glob(pattern))
    return pages[0].relative_to(site).as_posix() if pages else None


def shoot(site: Path, out: Path) -> list[str]:
    from playwright.sync_api import sync_playwright

    written = []
    with served(site) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for name, page_path, viewport, scroll_to in SHOTS:
            page_path = first_page(site, page_path)
            if page_path is None:
                continue
            context = browser.new_context(viewport=viewport, device_scale_factor=2 if viewport is PHONE else 1,
                                          color_scheme="light")
            page = context.new_page()
            page.goto(url + page_path)
            if scroll_to and scroll_to.startswith("hover:"):  # a preview card (static/preview.js)
                page.locator(scroll_to.removeprefix("hover:")).first.hover()
                page.wait_for_selector("#kb-preview", state="visible")
            elif scroll_to:
                page.evaluate(f"document.querySelector({scroll_to!r}).scrollIntoView()")
            page.screenshot(path=str(out / name))
            written.append(name)
            context.close()
        browser.close()
    return written


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        notes = shutil.copytree(ROOT / "notes", Path(tmp) / "notes")  # outside git: added = the notes' dates
        build_site(Path(tmp), load_settings(ROOT)[0], site, notes, search=False)
        for name in shoot(site, ROOT / "docs"):
            print(f"docs/{name}")


if __name__ == "__main__":
    main()
