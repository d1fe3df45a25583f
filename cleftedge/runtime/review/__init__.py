"""The session review report: one self-contained HTML page per scan, for review and teaching."""

from cleftedge.runtime.review.session_report import SessionData, render_session_report, write_session_report

__all__ = ["SessionData", "render_session_report", "write_session_report"]
