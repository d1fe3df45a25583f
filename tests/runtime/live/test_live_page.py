"""The live page is never stale, in a real browser (Debian's headless Chromium) against a running
runtime: a page joining mid-session gets the whole picture (the model's threshold, the model, the
active alert with its own time); a lost source dims the alert, the heat map and the score and says
"last value, AI paused"; a crash says "AI not running"; a normal end says "session ended"; a frozen
image is marked on the image; the page fits 1280 x 800 without scrolling."""

import json
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np
import pytest

from tests.runtime.live.conftest import free_port, make_browser, needs_chromium, wait_for

pytestmark = [needs_chromium, pytest.mark.slow]  # a runtime and a browser each


@pytest.fixture(scope="module")
def cleft_jpegs():
    """The in-plane cleft frames of a bilateral sweep, as JPEG: what a scanner's MJPEG feed would send."""
    from cleftedge.simulator.sweep import iter_sweep

    frames = [f.image for f in iter_sweep(12, "bilateral", 12, 30.0) if f.in_plane and f.cleft]
    assert len(frames) >= 20
    return [cv2.imencode(".jpg", f, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes() for f in frames[:90]]


class MjpegFeed:
    """A loopback multipart/x-mixed-replace feed at 30 fps that the test can stall (the cable pulled)."""

    def __init__(self, jpegs):
        self.stalled = threading.Event()
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                i = 0
                try:
                    while True:
                        if feed.stalled.is_set():
                            time.sleep(0.1)
                            continue
                        jpg = jpegs[i % len(jpegs)]
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                                         + str(len(jpg)).encode() + b"\r\n\r\n" + jpg + b"\r\n")
                        self.wfile.flush()
                        i += 1
                        time.sleep(1 / 30)
                except OSError:
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/stream.mjpg"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def start_runtime(model, source, port, *extra):
    return subprocess.Popen([sys.executable, "-m", "cleftedge", "run", "--model", str(model), "--source", source,
                             "--serve", f"127.0.0.1:{port}", "--quiet", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def state_of(port):
    try:
        return json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/state", timeout=2).read())
    except OSError:
        return None


def text(browser, element_id):
    return browser.find_element("id", element_id).text


def has_class(browser, element_id, cls):
    return cls in (browser.find_element("id", element_id).get_attribute("class") or "").split()


def no_scroll(browser):
    return browser.execute_script(
        "const d = document.documentElement; return [d.scrollHeight <= innerHeight && d.scrollWidth <= innerWidth,"
        " innerWidth, innerHeight, d.scrollHeight];")


def test_join_mid_alert_then_source_lost_then_crash(live_model, cleft_jpegs, tmp_path):
    feed = MjpegFeed(cleft_jpegs)
    port = free_port()
    runtime = start_runtime(live_model, feed.url, port)
    browser = None
    try:
        wait_for(lambda: (state_of(port) or {}).get("active_alert") is not None, 90, "an alert to be up")
        snap = state_of(port)
        assert snap["threshold"] != 0.5  # the model's own threshold, not the page's default
        jpeg = urllib.request.urlopen(f"http://127.0.0.1:{port}/frame.jpg?heat=off", timeout=5).read()
        top = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)[:34].astype(int)
        assert np.abs(top - (23, 47, 58)).mean() > 20  # the page's banner only: none burned into its image
        browser = make_browser("1280,800")
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",  # the screen itself, not the window
                                {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
        browser.get(f"http://127.0.0.1:{port}/")  # joins mid-session, mid-alert
        wait_for(lambda: text(browser, "state") == "AI running", 45, "'AI running'")
        banner = browser.find_element("id", "alert-banner")
        wait_for(banner.is_displayed, 20, "the active alert's banner on a page that joined late")
        assert "Suspected cleft" in banner.text
        assert text(browser, "threshold") == f"{snap['threshold']:.3f}"
        left = browser.find_element("id", "threshold-mark").value_of_css_property("left")
        track = browser.find_element("id", "score-track").size["width"]
        assert abs(float(left.removesuffix("px")) / track - snap["threshold"]) < 0.02
        assert snap["model"]["spec"]["model_name"] in text(browser, "model")
        raised = snap["active_alert"]
        own_time = browser.execute_script("return new Date(arguments[0] * 1000).toLocaleTimeString();", raised["t"])
        log = text(browser, "alert-log")
        assert own_time in log and f"Alert {raised['alert_id']} raised" in log
        wait_for(lambda: "heat=outline" in browser.find_element("id", "live-image").get_attribute("src"), 20,
                 "frames with the default outline heat map")
        browser.execute_script("for (let i = 0; i < 60; i++) { const li = document.createElement('li');"
                               " li.textContent = 'filler ' + i; document.getElementById('alert-log').append(li); }")
        fits, w, h, sh = no_scroll(browser)
        assert (w, h) == (1280, 800) and fits, f"page {w}x{h} scrolls ({sh} px high)"
        browser.save_screenshot(str(tmp_path / "live-alert.png"))

        feed.stalled.set()  # the capture cable pulled with the alert up
        wait_for(lambda: text(browser, "state").startswith("AI paused"), 30, "'AI paused' after the source stalls")
        assert has_class(browser, "alert-banner", "dimmed")
        assert banner.text.startswith("last value, AI paused")
        assert text(browser, "score-note") == "last value, AI paused" and has_class(browser, "score", "dimmed")
        assert has_class(browser, "view", "stale") and text(browser, "watchdog").startswith("AI paused")
        wait_for(lambda: "heat=off" in browser.find_element("id", "live-image").get_attribute("src"), 20,
                 "the last frame without its heat map")
        browser.save_screenshot(str(tmp_path / "live-paused.png"))

        runtime.kill()  # kill -9: only the page's watchdog can tell
        runtime.wait(10)
        wait_for(lambda: text(browser, "state") == "AI not running", 30, "the watchdog's 'AI not running'")
        assert "no heartbeat" in text(browser, "watchdog")
        assert banner.text.startswith("last value, AI not running")
        assert text(browser, "score-note") == "last value, AI not running"
    finally:
        if browser is not None:
            browser.quit()
        if runtime.poll() is None:
            runtime.kill()
        feed.close()


def test_a_normal_end_says_session_ended(live_model):
    port = free_port()
    runtime = start_runtime(live_model, "sim:none?seed=2&seconds=5", port)
    browser = make_browser()
    try:
        wait_for(lambda: state_of(port) is not None, 30, "the live page")
        browser.get(f"http://127.0.0.1:{port}/")
        wait_for(lambda: text(browser, "state") == "AI running", 45, "'AI running'")
        runtime.wait(300)  # a 5 s session; a loaded machine's runtime may take minutes to get through it
        ended_at = time.monotonic()
        wait_for(lambda: text(browser, "state") == "session ended", 45, "'session ended' after a normal end")
        # then past the watchdog (3.5 s without a heartbeat), counted from the runtime's exit: a finished
        # session must not read like a crash
        time.sleep(max(0.0, ended_at + 4.5 - time.monotonic()))
        assert text(browser, "state") == "session ended"
        assert text(browser, "watchdog").startswith("Session ended") and "heartbeat" not in text(browser, "watchdog")
        assert text(browser, "score-note") == "last value, session ended"
    finally:
        browser.quit()
        if runtime.poll() is None:
            runtime.kill()


def test_a_frozen_image_is_marked_on_the_image(live_model, tmp_path):
    from cleftedge.simulator.sweep import iter_sweep

    image = next(iter_sweep(1, "none", 5, 30.0)).image
    video = tmp_path / "frozen.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, image.shape[1::-1])
    for _ in range(450):  # 15 s of one frame: the sonographer pressed freeze
        writer.write(image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))
    writer.release()
    port = free_port()
    runtime = start_runtime(live_model, str(video), port, "--realtime")
    browser = make_browser()
    try:
        wait_for(lambda: state_of(port) is not None, 30, "the live page")
        browser.get(f"http://127.0.0.1:{port}/")
        wait_for(lambda: text(browser, "state") == "frozen image", 20, "'frozen image'")
        mark = browser.find_element("id", "frozen-mark")
        assert mark.is_displayed() and "FROZEN" in mark.text
        wait_for(lambda: browser.find_element("id", "live-image").is_displayed(), 20, "the image")
        img = browser.find_element("id", "live-image").rect
        m = mark.rect
        assert img["x"] <= m["x"] + m["width"] / 2 <= img["x"] + img["width"]  # on the image, not beside it
        assert img["y"] <= m["y"] + m["height"] / 2 <= img["y"] + img["height"]
        assert has_class(browser, "view", "frozen")
    finally:
        browser.quit()
        if runtime.poll() is None:
            runtime.kill()


def test_off_loopback_the_page_asks_for_the_token_once_over_https(live_model, self_signed, tmp_path):
    cert, key = self_signed
    token = "page-token-" + "k" * 30
    (tmp_path / "token").write_text(token)
    (tmp_path / "token").chmod(0o600)
    port = free_port()
    runtime = subprocess.Popen([sys.executable, "-m", "cleftedge", "run", "--model", str(live_model), "--source",
                                "sim:none?seed=3&seconds=40", "--serve", f"0.0.0.0:{port}", "--tls-cert", str(cert),
                                "--tls-key", str(key), "--serve-token-file", str(tmp_path / "token"), "--quiet"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    browser = make_browser(extra=("--ignore-certificate-errors",))  # the test's own self-signed certificate
    try:
        url = f"https://127.0.0.1:{port}/"
        wait_for(lambda: _https_up(port, cert), 30, "the live page over HTTPS")
        browser.get(url)
        assert browser.find_elements("id", "login") and not browser.find_elements("id", "live-image")
        browser.find_element("id", "token").send_keys("wrong-" + token)
        browser.find_element("id", "login-submit").click()
        wait_for(lambda: browser.find_elements("id", "login-error"), 30, "a wrong token refused")
        browser.find_element("id", "token").send_keys(token)
        browser.find_element("id", "login-submit").click()
        wait_for(lambda: browser.find_elements("id", "state") and text(browser, "state") == "AI running", 20,
                 "the live page after the token")
        cookie = next(c for c in browser.get_cookies() if c["name"] == "cleftedge_live")
        assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
        assert browser.execute_script("return document.cookie") == ""  # no script can read it
        browser.get(url)  # asked once: a reload goes straight in
        wait_for(lambda: browser.find_elements("id", "state") and text(browser, "state") == "AI running", 20,
                 "the page again without a second login")
        runtime.kill()
        runtime.wait(10)
        assert token not in runtime.stderr.read()
        (tmp_path / "token").write_text("another-" + token)  # the operator changed the token
        runtime = subprocess.Popen(runtime.args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: browser.find_elements("id", "login"), 60, "the open page back at the token form")
    finally:
        browser.quit()
        runtime.kill()
        runtime.wait(10)


def _https_up(port, cert) -> bool:
    import ssl

    try:
        ctx = ssl.create_default_context(cafile=str(cert))
        return urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz", timeout=1, context=ctx).status == 200
    except OSError:
        return False


def test_the_review_shows_each_flagged_frame_clean_and_with_its_heat_map(tmp_path):
    from cleftedge.runtime.review import write_session_report
    from tests.runtime.review.test_review_session_report import flagged_with_views, wall_data

    data = wall_data()
    data.flagged = [flagged_with_views(100, None), flagged_with_views(120, None, 0.9)]
    path = write_session_report(tmp_path / "review.html", data)
    browser = make_browser()
    try:
        browser.get(path.as_uri())

        def sizes():
            return browser.execute_script(
                "return [...document.querySelectorAll('.flagged-frame svg')].map(s => s.querySelector('image, use')"
                ".getBBox().width)")

        # a loaded machine's Chromium may not have laid out every view (the heat view's <use> of the clean
        # image) when the page's load returns: wait for it, then hold the page to the exact sizes
        deadline = time.monotonic() + 15
        while (got := sizes()) != [320] * 4 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert got == [320] * 4  # both views of both frames show the image (the heat view reuses it)
    finally:
        browser.quit()
