"""The live page in a real browser (Debian's headless Chromium) against a running runtime: the alert
banner appears during a cleft sweep, and "AI not running" shows once the runtime is killed."""

import subprocess
import sys

import pytest

from tests.runtime.live.conftest import free_port, make_browser, needs_chromium, wait_for

pytestmark = needs_chromium


@pytest.fixture
def browser():
    driver = make_browser()
    yield driver
    driver.quit()


def test_alert_banner_then_watchdog_in_a_real_browser(browser, tmp_path, reference_export_copy):
    model = reference_export_copy(tmp_path / "model.onnx")
    port = free_port()
    runtime = subprocess.Popen([sys.executable, "-m", "cleftedge", "run", "--model", str(model), "--source",
                                "sim:bilateral?seed=12&seconds=120", "--serve", f"127.0.0.1:{port}", "--quiet"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for(lambda: _up(url), 30, "the live page to be served")
        browser.get(url)
        state = browser.find_element("id", "state")
        wait_for(lambda: state.text == "AI running", 45, "the page to show 'AI running'")
        banner = browser.find_element("id", "alert-banner")
        wait_for(banner.is_displayed, 60, "the alert banner during a cleft sweep")
        assert "Suspected cleft" in banner.text
        assert browser.find_element("id", "live-image").get_attribute("src").startswith(url + "frame.jpg")
        browser.save_screenshot(str(tmp_path / "live-alert.png"))
        runtime.kill()  # a crash, not a clean stop: only the page's watchdog can tell
        runtime.wait(10)
        wait_for(lambda: state.text == "AI not running", 30, "the watchdog's 'AI not running'")
        assert browser.find_element("id", "watchdog").is_displayed()
        browser.save_screenshot(str(tmp_path / "live-watchdog.png"))
        assert (tmp_path / "live-alert.png").stat().st_size > 1000
    finally:
        if runtime.poll() is None:
            runtime.kill()


def _up(url: str) -> bool:
    import urllib.request

    try:
        return urllib.request.urlopen(url + "healthz", timeout=1).status == 200
    except OSError:
        return False
