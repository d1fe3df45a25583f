"""Who may watch the live page. Loopback: this machine only, no token, plain HTTP (as simple as it
was). Any other address: an access token on every data request (the page asks for it once and keeps
it in an HttpOnly, Secure, SameSite=Strict cookie) and HTTPS, unless plain HTTP is asked for by name
(`--insecure-http`). The token is never printed or written to the events: only where it is stored."""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cleftedge.errors import CleftEdgeError

if TYPE_CHECKING:
    import ssl

COOKIE = "cleftedge_live"
COOKIE_MAX_AGE_S = 12 * 3600  # a shift: asked once a shift, not once a page load, and not kept for ever
TOKEN_BYTES = 32
TOKEN_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~+/=")  # safe in a cookie


@dataclass(frozen=True)
class Access:
    """How one live server lets people in: token None means loopback (no token asked)."""

    host: str
    token: str | None = None
    token_file: Path | None = None
    ssl_context: ssl.SSLContext | None = None  # when serving HTTPS

    @property
    def scheme(self) -> str:
        """The page's URL scheme: https with a TLS context, else http."""
        return "https" if self.ssl_context is not None else "http"

    def allows(self, presented: str | None) -> bool:
        """Constant-time check of a presented token (always true on loopback)."""
        if self.token is None:
            return True
        if not presented:
            return False
        return hmac.compare_digest(presented.encode(), self.token.encode())

    def cookie(self) -> str:
        """The Set-Cookie value that keeps a browser that gave the token signed in (HttpOnly, SameSite=Strict)."""
        secure = "; Secure" if self.ssl_context is not None else ""  # browsers drop Secure cookies on http
        return f"{COOKIE}={self.token}; Path=/; Max-Age={COOKIE_MAX_AGE_S}; HttpOnly; SameSite=Strict{secure}"

    def notice(self, url: str) -> str:
        """What the start line says: what is exposed, and to whom."""
        if self.token is None:
            return f"live view: {url} (this machine only: the live image, scores and alerts)"
        who = f"anyone on the network who has the access token (stored in {self.token_file}, owner-only)"
        line = f"live view: {url} serves the live ultrasound image, scores and alerts to {who}"
        if self.ssl_context is None:
            line += ("; WARNING: plain HTTP (--insecure-http): the image and the token cross the network "
                     "unencrypted")
        return line


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address) only reaches this machine: localhost, 127.0.0.0/8, ::1."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def default_token_file() -> Path:
    """Where the live page's access token is kept: $XDG_CONFIG_HOME (else ~/.config)/cleftedge/live-token."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "cleftedge" / "live-token"


def _owner_only(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CleftEdgeError(f"the live-view token file {path} can be read by others (mode {stat.S_IMODE(mode):o})",
                             "a file only its owner can read", f"chmod 600 {path}")


def read_token(path: Path) -> str:
    """A token from a file given with --serve-token-file: owner-only, one line of at least 16 characters."""
    if not path.is_file():
        raise CleftEdgeError(f"--serve-token-file {path} does not exist", "a file holding the access token",
                             "create it (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))' > FILE; "
                             "chmod 600 FILE) or leave the flag out to have one generated")
    _owner_only(path)
    token = path.read_text().strip()
    if len(token) < 16 or not set(token) <= TOKEN_CHARS:
        raise CleftEdgeError(f"--serve-token-file {path} holds no usable token",
                             "one line of at least 16 characters: letters, digits and - _ . ~ + / =",
                             "write a token from secrets.token_urlsafe(32) into it")
    return token


def stored_token(path: Path) -> str:
    """The generated token kept at `path` (reused across restarts), created owner-only if missing."""
    if path.exists():
        return read_token(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # owner-only from the first byte
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    os.replace(tmp, path)
    return token


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    """A TLS 1.2+ server context from a PEM certificate and its private key; one-line CleftEdgeError when either
    file is missing or they do not load together."""
    import ssl

    for flag, p in (("--tls-cert", cert), ("--tls-key", key)):
        if not Path(p).is_file():
            raise CleftEdgeError(f"{flag} {p} does not exist", "a PEM file", "give the certificate and its key")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        raise CleftEdgeError(f"cannot load --tls-cert {cert} with --tls-key {key} ({exc.__class__.__name__}: "
                             f"{getattr(exc, 'reason', None) or exc})", "a PEM certificate and its matching "
                             "private key (unencrypted)", "check the two files belong together") from None
    return ctx


def serve_access(host: str, token_file: str | None = None, tls_cert: str | None = None,
                 tls_key: str | None = None, insecure_http: bool = False) -> Access:
    """Decide how the live page is served on `host`, or refuse with one line."""
    if bool(tls_cert) != bool(tls_key):
        raise CleftEdgeError("--tls-cert and --tls-key go together", "both or neither",
                             "give the certificate and its private key")
    ctx = tls_context(tls_cert, tls_key) if tls_cert and tls_key else None  # both or neither (checked above)
    if is_loopback(host):
        return Access(host, ssl_context=ctx)
    if ctx is None and not insecure_http:
        raise CleftEdgeError(f"--serve {host} would send the live ultrasound image over the network unencrypted",
                             "HTTPS off this machine", "give --tls-cert and --tls-key, serve on 127.0.0.1, or "
                             "add --insecure-http to accept plain HTTP")
    path = Path(token_file) if token_file else default_token_file()
    token = read_token(path) if token_file else stored_token(path)
    return Access(host, token, path, ctx)
