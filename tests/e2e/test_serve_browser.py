"""``postil serve`` in a real browser: Debian's chromium, driven through Selenium and the
system chromedriver (Selenium never downloads a driver here: it is given its path).

The test opens the link the server prints, reads the terminal's text from xterm.js's
buffer until the library's first post is on screen, reloads (the cookie lets it in),
filters by a tag and sees the list change, saves a screenshot, then opens the same
address without the token and cookie and sees the refusal.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.served import Served, children, require_proc
from tests.e2e.sshtui import OTHER_TITLE, TARGET_TITLE, Sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1200,800",
)
"""Headless flags that work as root on a server with no display."""

WAIT = 60.0
"""Seconds to wait for a condition on a loaded 2-core machine (polled, not slept)."""

TERMINAL_HOOK = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {
      value, writable: true, configurable: true, enumerable: true,
    });
    if (value && typeof value.open === "function" && value.buffer) {
      window.postilTerminal = value;
    }
  },
});
"""
"""Run before the page's scripts: textual.js keeps its xterm.js Terminal in the
``terminal`` property of an object of its own; this setter, inherited by every object,
catches that assignment so the test can read the terminal through xterm's buffer API."""

SCREEN_TEXT = """
const terminal = window.postilTerminal;
if (!terminal) return null;
const buffer = terminal.buffer.active;
const lines = [];
for (let row = 0; row < terminal.rows; row++) {
  const line = buffer.getLine(buffer.viewportY + row);
  lines.push(line ? line.translateToString(true) : "");
}
return lines.join("\\n");
"""
"""The text on the terminal's screen, row by row (xterm.js's buffer API)."""


def browser_tools() -> tuple[str, str]:
    """chromium's and chromedriver's paths; skips with the reason when one is missing."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.skip("selenium is not installed (pip install -e '.[dev]')")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium is None or driver is None:
        pytest.skip(
            "no chromium or chromedriver on PATH (apt-get install -y chromium chromium-driver)"
        )
    return chromium, driver


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """A headless chromium with a fresh profile, the terminal hook installed."""
    chromium, driver_path = browser_tools()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (*CHROMIUM_ARGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(argument)
    service = Service(executable_path=driver_path, log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.set_page_load_timeout(WAIT)
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": TERMINAL_HOOK})
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Four posts of our own: the newest is TARGET_TITLE; only OTHER_TITLE has tag food."""
    return Sandbox(tmp_path / "world").corpus


def wait_for_screen(driver: Any, check: Callable[[str], bool], what: str) -> str:
    """Poll the terminal's text until ``check`` holds; the text then."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    seen = [""]

    def holds(d: Any) -> bool:
        seen[0] = d.execute_script(SCREEN_TEXT) or ""
        return check(seen[0])

    try:
        WebDriverWait(driver, WAIT, poll_frequency=0.2).until(holds)
    except TimeoutException:
        raise AssertionError(f"{what} not on the terminal; it shows:\n{seen[0]}") from None
    return seen[0]


def test_the_printed_link_opens_the_app_and_the_bare_address_is_refused(
    browser: Any, corpus: Path, tmp_path: Path
) -> None:
    """The link shows the library; reloading works through the cookie; `/` `tag:food`
    Enter filters the list; without token and cookie the page is refused."""
    require_proc()
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    with Served(["--port", "0", str(corpus)]) as served:
        base, token = served.link()
        browser.get(f"{base}?token={token}")
        wait_for_screen(browser, lambda text: TARGET_TITLE in text, "the first post's title")
        # The token left the address bar for an HttpOnly cookie named for this port.
        assert browser.current_url == base
        port = base.rsplit(":", 1)[1].strip("/")
        [cookie] = browser.get_cookies()
        assert (cookie["name"], cookie["value"]) == (f"postil-token-{port}", token)
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert browser.execute_script("return document.cookie") == ""
        # Everything the page loaded came from this server (it works offline).
        loaded = browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        assert loaded and all(url.startswith(base) for url in loaded), loaded

        browser.refresh()
        wait_for_screen(browser, lambda text: TARGET_TITLE in text, "the title after a reload")
        # Focus without a click: xterm would pass a click on to the app as a mouse event.
        browser.execute_script("window.postilTerminal.focus()")
        ActionChains(browser).send_keys("/", "tag:food", Keys.ENTER).perform()
        text = wait_for_screen(
            browser,
            lambda text: OTHER_TITLE in text and TARGET_TITLE not in text,
            f"a list of {OTHER_TITLE!r} alone",
        )
        assert "1 of 4 posts" in text, text
        screenshot = tmp_path / "postil-serve.png"
        assert browser.save_screenshot(str(screenshot))
        assert screenshot.read_bytes().startswith(b"\x89PNG")
        print(f"screenshot: {screenshot}")

        sessions = set(children(served.process.pid))
        browser.delete_all_cookies()
        browser.get(base)
        body = browser.find_element(By.TAG_NAME, "body").text
        assert "needs the link with ?token=" in body
        assert browser.execute_script("return window.postilTerminal || null") is None
        assert set(children(served.process.pid)) <= sessions, "the refused visit started one"
