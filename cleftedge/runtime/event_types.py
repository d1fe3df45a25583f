"""Every event type the runtime sends, with the fields each carries besides the common ones: the one
table that the pipeline emits from and that the sinks, the live page and the session review read.
docs/runtime.md lists the same table (a test holds the two equal, and another the live page's names
against it). The JSON format of the events is docs/internals.md "Events"."""

from __future__ import annotations

COMMON_FIELDS = ("type", "t", "session", "schema")  # on every event written to the events file

SESSION_START = "session_start"
STATE = "state"
HEARTBEAT = "heartbeat"
SCORE = "score"
ALERT_RAISED = "alert_raised"
ALERT_CLEARED = "alert_cleared"
FRAME_ERROR = "frame_error"
LATENCY = "latency"
SOURCE_ENDED_EARLY = "source_ended_early"
SESSION_END = "session_end"
EVENTS_CONTINUED = "events_continued"  # the first line of an events file after rotation
SNAPSHOT = "snapshot"  # the live page's first server-sent event (the whole picture); never in a file

# Fields per type, beside COMMON_FIELDS, in the order docs/runtime.md lists them.
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    SESSION_START: ("source", "model", "threshold", "alerts", "budget"),
    STATE: ("state", "reason"),
    HEARTBEAT: ("frames", "dropped", "state"),
    SCORE: ("frame", "t_capture", "score", "flagged", "frozen"),
    ALERT_RAISED: ("alert_id", "frame", "t_capture", "score"),
    ALERT_CLEARED: ("alert_id", "frame", "t_capture", "start_frame", "end_frame", "peak_score", "best_frame"),
    FRAME_ERROR: ("frame", "t_capture", "reason"),
    LATENCY: ("frames", "dropped", "budget", "overruns", "slower_than_frame_interval", "within_budget", "stages"),
    SOURCE_ENDED_EARLY: ("frames", "expected", "reason"),
    SESSION_END: ("summary",),
    EVENTS_CONTINUED: ("previous",),
}
# The live page's snapshot: type, t and session, then the current picture (no schema: it is no file line).
SNAPSHOT_FIELDS = ("threshold", "model", "alerts", "source", "state", "score", "heartbeat", "active_alert",
                   "alert_log", "ended", "summary")
EVENT_TYPES = (*EVENT_FIELDS, SNAPSHOT)  # every name a consumer may see

STATES = ("running", "paused", "frozen", "stopped")  # the values of a state event's `state`
ALERT_EVENTS = (ALERT_RAISED, ALERT_CLEARED)
REVIEW_EVENTS = (STATE, FRAME_ERROR)  # kept for the session review beside the alerts (newest KEEP_EVENTS)
