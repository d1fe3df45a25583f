"""What the live server knows: the fan-out of events to every connected page, the full current
picture (for a page that joins mid-session or reloads), and the latest frame, drawn on request in
the heat-map style the page asks for."""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from typing import TYPE_CHECKING

import cv2

from cleftedge.runtime import event_types

SUBSCRIBER_QUEUE = 256  # events kept for a slow browser before the oldest are dropped
ALERT_HISTORY = 200  # alert events a late page gets for its log
JPEG_QUALITY = 80
DRAIN_S = 1.0  # on close, how long connected pages get to receive the last events


def without_credentials(location: str) -> str:
    """A stream URL as the page may show it: 'rtsp://user:secret@cam/1' -> 'rtsp://***@cam/1'."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(location)
    except ValueError:
        return location
    if "@" not in parts.netloc:
        return location
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]))


def _for_pages(event: dict) -> dict:
    """What a page may see of an event: a session_start's source location without its credentials."""
    source = event.get("source")
    if event.get("type") != event_types.SESSION_START or not isinstance(source, dict) or "location" not in source:
        return event
    return {**event, "source": {**source, "location": without_credentials(str(source["location"]))}}


if TYPE_CHECKING:
    from cleftedge.runtime.annotate import FrameLayers


class Hub:
    """What the live pages share: the session's latest state, score, alerts and frame, and a queue per page."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[queue.Queue] = []
        self.session_start: dict | None = None
        self.last_state: dict | None = None
        self.last_score: dict | None = None
        self.last_heartbeat: dict | None = None
        self.active_alert: dict | None = None
        self.session_end: dict | None = None
        self.alert_log: deque[dict] = deque(maxlen=ALERT_HISTORY)
        self._frame: tuple[int, FrameLayers | bytes] | None = None  # (frame index, FrameLayers) or (-1, jpeg bytes)
        self._jpegs: dict[tuple[int, str], bytes] = {}  # encoded once per (frame, style)
        self.closed = threading.Event()

    # --- the picture --------------------------------------------------------
    def snapshot(self) -> dict:
        """Everything a page needs to show the session as it is now."""
        with self._lock:
            start = self.session_start or {}
            return {"type": event_types.SNAPSHOT, "t": time.time(), "session": start.get("session"),
                    "threshold": start.get("threshold"), "model": start.get("model"),
                    "alerts": start.get("alerts"), "source": start.get("source"), "state": self.last_state,
                    "score": self.last_score, "heartbeat": self.last_heartbeat, "active_alert": self.active_alert,
                    "alert_log": list(self.alert_log), "ended": self.session_end is not None,
                    "summary": (self.session_end or {}).get("summary")}

    def _remember(self, event: dict) -> None:
        kind = event.get("type")
        if kind == event_types.SESSION_START:
            self.session_start, self.session_end = event, None
            self.active_alert, self.last_score = None, None
            self.alert_log.clear()
        elif kind == event_types.STATE:
            self.last_state = event
        elif kind == event_types.SCORE:
            self.last_score = event
        elif kind == event_types.HEARTBEAT:
            self.last_heartbeat = event
        elif kind == event_types.SESSION_END:
            self.session_end = event
        elif kind in event_types.ALERT_EVENTS:
            self.alert_log.append(event)
            if kind == event_types.ALERT_RAISED:
                self.active_alert = event
            elif self.active_alert and self.active_alert.get("alert_id") == event.get("alert_id"):
                self.active_alert = None

    # --- events ---------------------------------------------------------------
    def subscribe(self) -> queue.Queue:
        """A new page's event queue, holding first the snapshot of the session, then every event published."""
        q: queue.Queue = queue.Queue(SUBSCRIBER_QUEUE)
        snap = self.snapshot()
        with self._lock:
            self._subscribers.append(q)
            q.put_nowait(snap)  # first the whole picture, then what happens next
        return q

    def unsubscribe(self, q: queue.Queue) -> None:
        """Stop feeding a page's queue (the page went away)."""
        with self._lock:
            if q in self._subscribers:
                self._subscribers.remove(q)

    def publish(self, event: dict) -> None:
        """Remember an event (credentials taken out of the source) and hand it to every page; a page whose queue
        is full loses its oldest event, the runtime never waits."""
        event = _for_pages(event)
        with self._lock:
            self._remember(event)
            subscribers = list(self._subscribers)
        for q in subscribers:
            try:
                q.put_nowait(event)
            except queue.Full:  # a stalled browser loses its oldest event, never blocks the runtime
                try:
                    q.get_nowait()
                    q.put_nowait(event)
                except (queue.Empty, queue.Full):
                    pass

    def drain(self, timeout: float = DRAIN_S) -> None:
        """Wait (briefly) until connected pages have been sent what was published."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                if all(q.empty() for q in self._subscribers):
                    return
            time.sleep(0.02)

    # --- frames ---------------------------------------------------------------
    def publish_layers(self, frame: int, layers: FrameLayers) -> None:
        """The latest frame taken apart (masked image, heat map); JPEGs are encoded when a page asks."""
        with self._lock:
            self._frame = (frame, layers)
            self._jpegs = {}

    def publish_jpeg(self, jpeg: bytes) -> None:
        """The latest frame, already encoded (no heat map to draw)."""
        with self._lock:
            self._frame = (-1, jpeg)
            self._jpegs = {}

    def jpeg(self, style: str = "outline") -> tuple[bytes | None, int | None]:
        """The latest frame as JPEG with its heat map in `style` (encoded in the asking thread, once)."""
        from cleftedge.runtime.annotate import HEAT_STYLES, draw_heat

        with self._lock:
            current, jpegs = self._frame, self._jpegs
        if current is None:
            return None, None
        frame, layers = current
        if isinstance(layers, bytes):
            return layers, None
        style = style if style in HEAT_STYLES else "outline"
        key = (frame, style)
        if key not in jpegs:
            ok, buf = cv2.imencode(".jpg", draw_heat(layers.masked, layers.heat, style),
                                   [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            if not ok:
                return None, None
            jpegs[key] = buf.tobytes()
        return jpegs[key], frame
