"""HTTP(S) URLs: a live stream or a file? The rule: a response of type multipart/x-mixed-replace (an
IP camera's MJPEG stream) is live and is retried when lost; any other response is a file, played at
its frame rate with --realtime and ended at its end (never looped or replayed). The answer comes from
one GET whose headers are read and whose body is not, within PROBE_S (the runtime's stall timeout),
and a URL that answers with no video says why in one line."""

from __future__ import annotations

import http.client
import ssl
import urllib.error
import urllib.request

from cleftedge.errors import CleftEdgeError

PROBE_S = 2.0  # as the pipeline's stall timeout: a URL silent this long is not delivering frames
LIVE_TYPES = ("multipart/x-mixed-replace",)


def probe_http(url: str, timeout_s: float = PROBE_S) -> str:
    """The response's Content-Type (lower case, without parameters; '' when none). One-line
    CleftEdgeError with the reason when the URL gives no response, an HTTP error or nothing in time."""
    request = urllib.request.Request(url, headers={"User-Agent": "cleftedge", "Accept": "*/*"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # headers only: body left unread
            return (response.headers.get_content_type() if response.headers.get("Content-Type") else "").lower()
    except urllib.error.HTTPError as exc:
        reason = f"HTTP {exc.code} {exc.reason}"
    except urllib.error.URLError as exc:
        inner = exc.reason
        reason = f"no response within {timeout_s:g} s" if isinstance(inner, TimeoutError) \
            else f"{type(inner).__name__}: {getattr(inner, 'strerror', None) or inner}"
    except TimeoutError:
        reason = f"no response within {timeout_s:g} s"
    except (http.client.HTTPException, ssl.SSLError, OSError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
    raise CleftEdgeError(f"the URL {url} delivers no video ({reason})",
                         "a reachable stream (multipart/x-mixed-replace) or video file",
                         "check the URL, the server and the network")


def is_live_type(content_type: str) -> bool:
    """Whether an HTTP Content-Type is a live stream (MJPEG's multipart/x-mixed-replace) rather than a file."""
    return content_type in LIVE_TYPES
