"""Nobody else watches: off loopback every data endpoint wants the access token (401 without it or
with a wrong one), the page asks for it once and keeps it in an HttpOnly, SameSite=Strict cookie
(Secure over HTTPS), HTTPS is real TLS, and plain HTTP off loopback needs --insecure-http."""

import http.client
import json
import ssl
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest

from cleftedge.cli import main
from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.live import LiveServer, serve_access
from cleftedge.runtime.live import access as access_mod
from tests.runtime.live.conftest import free_port, wait_for

TOKEN = "t0ken-" + "x" * 40
DATA_PATHS = ("/", "/events", "/frame.jpg", "/state")


@pytest.fixture
def token_file(tmp_path):
    p = tmp_path / "token"
    p.write_text(TOKEN + "\n")
    p.chmod(0o600)
    return p


@pytest.fixture
def open_server(token_file):
    s = LiveServer("0.0.0.0", 0, serve_access("0.0.0.0", str(token_file), insecure_http=True)).start()
    yield s, f"http://127.0.0.1:{s.httpd.server_address[1]}"
    s.close()


def status(url, headers=None, context=None, data=None):
    req = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=5, context=context) as resp:
            return resp.status, dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)
    except urllib.error.URLError:  # not listening (yet)
        return 0, {}


def test_every_data_endpoint_refuses_without_or_with_a_wrong_token(open_server):
    _, base = open_server
    for path in DATA_PATHS:
        assert status(base + path)[0] == 401, path
        assert status(base + path, {"Authorization": "Bearer " + TOKEN[:-1] + "y"})[0] == 401, path
        assert status(base + path, {"Cookie": "cleftedge_live=" + TOKEN + "z"})[0] == 401, path
        assert status(base + path, {"Cookie": "cleftedge_live="})[0] == 401, path
    for path in ("/", "/frame.jpg", "/state"):
        assert status(base + path, {"Authorization": "Bearer " + TOKEN})[0] in (200, 204), path
    body = urllib.request.urlopen(base + "/healthz", timeout=5).read()
    assert json.loads(body) == {"ok": True}  # open, and says nothing about the session


def test_the_page_asks_once_then_a_cookie_lets_it_in(open_server):
    _, base = open_server
    req = urllib.request.Request(base + "/")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req, timeout=5)
    assert b'id="login"' in refused.value.read()
    conn = http.client.HTTPConnection("127.0.0.1", int(base.rsplit(":", 1)[1]), timeout=5)
    conn.request("POST", "/login", urllib.parse.urlencode({"token": "wrong-" + TOKEN}),
                 {"Content-Type": "application/x-www-form-urlencoded"})
    wrong = conn.getresponse()
    assert wrong.status == 401 and wrong.getheader("Set-Cookie") is None and b"login-error" in wrong.read()
    conn.request("POST", "/login", urllib.parse.urlencode({"token": TOKEN}),
                 {"Content-Type": "application/x-www-form-urlencoded"})
    ok = conn.getresponse()
    ok.read()
    cookie = ok.getheader("Set-Cookie")
    assert ok.status == 303 and "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=43200" in cookie
    value = cookie.split(";", 1)[0]
    assert status(base + "/state", {"Cookie": value})[0] == 200


def test_the_token_is_compared_in_constant_time(open_server, monkeypatch):
    _, base = open_server
    calls = []
    real = access_mod.hmac.compare_digest
    monkeypatch.setattr(access_mod.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    assert status(base + "/state", {"Authorization": "Bearer " + TOKEN})[0] == 200
    assert status(base + "/state", {"Authorization": "Bearer nope"})[0] == 401
    assert len(calls) == 2


def test_https_with_a_self_signed_certificate(self_signed, token_file):
    cert, key = self_signed
    server = LiveServer("0.0.0.0", 0, serve_access("0.0.0.0", str(token_file), str(cert), str(key))).start()
    try:
        port = server.httpd.server_address[1]
        assert server.url.startswith("https://")
        ctx = ssl.create_default_context(cafile=str(cert))  # verifies the chain and 127.0.0.1 in the SAN
        base = f"https://127.0.0.1:{port}"
        assert status(base + "/state", context=ctx)[0] == 401
        with urllib.request.urlopen(urllib.request.Request(base + "/state", headers={
                "Authorization": "Bearer " + TOKEN}), timeout=5, context=ctx) as resp:
            assert json.loads(resp.read())["type"] == "snapshot"
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=5)
        conn.request("POST", "/login", urllib.parse.urlencode({"token": TOKEN}),
                     {"Content-Type": "application/x-www-form-urlencoded"})
        cookie = conn.getresponse().getheader("Set-Cookie")
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
        with pytest.raises((http.client.HTTPException, ConnectionError, OSError)):  # plain HTTP gets nothing
            plain = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            plain.request("GET", "/healthz")
            plain.getresponse().read()
    finally:
        server.close()


def test_a_generated_token_is_owner_only_and_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    first = serve_access("0.0.0.0", insecure_http=True)
    path = first.token_file
    assert path == tmp_path / "cfg" / "cleftedge" / "live-token"
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o077 == 0
    assert len(first.token) >= 32 and serve_access("0.0.0.0", insecure_http=True).token == first.token
    path.chmod(0o644)
    with pytest.raises(CleftEdgeError, match="chmod 600"):
        serve_access("0.0.0.0", insecure_http=True)
    assert serve_access("127.0.0.1").token is None  # loopback stays as simple as it was


def test_off_loopback_without_tls_is_refused_unless_insecure_http(tmp_path, token_file):
    with pytest.raises(CleftEdgeError, match="--insecure-http"):
        serve_access("0.0.0.0", str(token_file))
    with pytest.raises(CleftEdgeError, match="go together"):
        serve_access("0.0.0.0", str(token_file), tls_cert=str(tmp_path / "c.pem"))
    with pytest.raises(CleftEdgeError, match="does not exist"):
        serve_access("0.0.0.0", str(tmp_path / "missing"), insecure_http=True)


def test_cli_refuses_plain_http_off_loopback_in_one_line(live_model, capsys, tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_text('{"type": "session_start"}\n')  # the previous session's
    code = main(["run", "--model", str(live_model), "--source", "sim:none?seed=1&seconds=1", "--serve",
                 "0.0.0.0:0", "--quiet", "--events", str(events)])
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1 and "--tls-cert" in err and "Traceback" not in err
    assert events.read_text() == '{"type": "session_start"}\n'  # refused before any output was opened


@pytest.mark.slow
def test_the_token_is_never_in_the_output_or_the_events(live_model, tmp_path):
    cfg = tmp_path / "cfg"
    events = tmp_path / "events.jsonl"
    port = free_port()
    env = {**__import__("os").environ, "XDG_CONFIG_HOME": str(cfg)}
    proc = subprocess.Popen([sys.executable, "-m", "cleftedge", "run", "--model", str(live_model), "--source",
                             "sim:unilateral?seed=4&seconds=8", "--realtime", "--serve", f"0.0.0.0:{port}",
                             "--insecure-http", "--events", str(events), "--summary", str(tmp_path / "s.json")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        token_path = cfg / "cleftedge" / "live-token"
        wait_for(token_path.exists, 30, "the generated token file")
        token = token_path.read_text().strip()
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: status(base + "/state", {"Authorization": "Bearer " + token})[0] == 200, 30,
                 "the live page with the token")
        assert status(base + "/state", {"Authorization": "Bearer wrong"})[0] == 401
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "anyone on the network who has the access token" in err and str(token_path) in err
    assert "plain HTTP" in err
    for text in (out, err, events.read_text(), (tmp_path / "s.json").read_text()):
        assert token not in text
