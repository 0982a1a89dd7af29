"""A headless Chromium (Debian's, through Selenium and the system chromedriver) that
renders post bodies for the render tests' reference text.

One browser serves a whole test session: each body is set as the ``innerHTML`` of one
page whose Content-Security-Policy forbids every load, so no image, frame or script is
fetched or run, and its ``innerText`` is read back.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",  # tests run as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
_PAGE = (
    "data:text/html;charset=utf-8,<!doctype html><meta charset=utf-8>"
    "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'\"><body></body>"
)
_SCRIPT = """
document.body.innerHTML = arguments[0];
// postil's documented additions, put where the page has the element: an image's alt
// text (or title) and an embed's title, unless a figure caption stands for them.
for (const el of document.body.querySelectorAll("img, iframe, video, audio, embed, object")) {
  const figure = el.closest("figure");
  if (figure && figure.querySelector("figcaption")) continue;
  const label = el.tagName === "IMG"
    ? (el.getAttribute("alt") || el.getAttribute("title") || "")
    : (el.getAttribute("title") || el.getAttribute("aria-label") || "");
  if (label) el.replaceWith(document.createTextNode(" " + label + " "));
}
return document.body.innerText;
"""


def missing_reason() -> str | None:
    """Why the browser cannot run here, or None when it can."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            return f"{path} is not installed (Debian's chromium and chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed"
    return None


class Browser:
    """One headless Chromium page, reused for every body."""

    def __init__(self) -> None:
        """Start Chromium with a fresh profile in a temporary folder."""
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self._profile = tempfile.mkdtemp(prefix="postil-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in (*FLAGS, f"--user-data-dir={self._profile}"):
            options.add_argument(flag)
        # An explicit driver path: Selenium Manager never runs, so nothing is downloaded.
        service = Service(executable_path=str(CHROMEDRIVER))
        self._driver: Any = webdriver.Chrome(service=service, options=options)
        self._driver.get(_PAGE)

    def inner_text(self, html: str) -> str:
        """The ``innerText`` of a page whose body is ``html`` (with the additions above)."""
        text: str = self._driver.execute_script(_SCRIPT, html)
        return text

    def close(self) -> None:
        """Quit the browser and remove its profile."""
        try:
            self._driver.quit()
        finally:
            shutil.rmtree(self._profile, ignore_errors=True)
