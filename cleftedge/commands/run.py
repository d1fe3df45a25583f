"""`cleftedge run`: the live runtime on a video, camera, stream, DICOM cine, folder or the simulator."""

from __future__ import annotations

import argparse
import json
import sys

from cleftedge.cli import add_command
from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.alerts import ALERT_FIELDS, AlertConfig

EXAMPLE = """cleftedge run --model model.onnx --source sweep.mp4 --realtime --events events.jsonl --summary summary.json
  cleftedge run --model bundle/ --source 0 --serve 127.0.0.1:8080
  cleftedge run --model model.xml --source "sim:unilateral?seed=3&seconds=30" --annotate a.mp4 --report s.html"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add `cleftedge run` to the CLI."""
    from cleftedge.runtime.model_flags import add_model_args

    p = add_command(sub, "run", "run the live runtime: score frames, raise alerts, write events", EXAMPLE, _run)
    add_model_args(p)
    p.add_argument("--source", required=True, help="video, camera index, URL, GStreamer pipeline, DICOM, folder, "
                   "or sim:KIND?seed=S&seconds=T")
    p.add_argument("--realtime", action="store_true", help="play files at their frame rate (default: as fast as "
                   "possible, no drops)")
    p.add_argument("--events", help="JSON-lines events appended to this file ('-' for stdout)")
    p.add_argument("--events-max-mib", type=float, default=256.0, help="rotate the events file past this size "
                   "(default 256 MiB; FILE.1 .. FILE.5 kept)")
    p.add_argument("--score-every", type=int, default=1, help="write every Nth frame's score event (flagged always)")
    p.add_argument("--annotate", help="write an annotated video (outside the sector masked)")
    p.add_argument("--summary", help="write the end-of-session summary JSON")
    p.add_argument("--report", help="write the session review report (HTML)")
    p.add_argument("--serve", metavar="HOST:PORT", help="serve the live page (loopback unless a host is given; "
                   "any other address needs HTTPS and an access token)")
    p.add_argument("--serve-token-file", help="the live page's access token off loopback (default: generated "
                   "once into ~/.config/cleftedge/live-token, owner-only)")
    p.add_argument("--tls-cert", help="serve the live page over HTTPS with this PEM certificate")
    p.add_argument("--tls-key", help="the private key of --tls-cert (PEM)")
    p.add_argument("--insecure-http", action="store_true", help="allow plain HTTP off loopback (the image and the "
                   "token cross the network unencrypted)")
    p.add_argument("--alerts", help="alert policy TOML ([alerts] k, n, clear_k, cooldown_frames, threshold)")
    for field in ALERT_FIELDS:  # --alert-k, --alert-clear-threshold, ...: one per key of the [alerts] table
        p.add_argument(_alert_flag(field.name), type=int if field.kind is int else float,
                       help=f"alert policy: {field.help} (overrides --alerts)")
    p.add_argument("--max-frames", type=int, help="stop after this many frames")
    p.add_argument("--quiet", action="store_true", help="no alert lines or latency table on the terminal")
    p.add_argument("--json", action="store_true", help="print the summary as JSON at the end")


def _alert_flag(name: str) -> str:
    return "--alert-" + name.replace("_", "-")


def alert_config(args: argparse.Namespace, base: AlertConfig) -> AlertConfig:
    """The --alert-* flags over the --alerts file (`base`) over the defaults, checked."""
    from dataclasses import replace

    from cleftedge.config_fields import ConfigFile, check_value

    flags = ConfigFile("run", "fix the flag (see 'cleftedge run --help' and docs/runtime.md)", "docs/runtime.md")
    given = {}
    for field in ALERT_FIELDS:
        value = getattr(args, "alert_" + field.name)
        if value is not None:
            given[field.name] = check_value(field, value, flags, _alert_flag(field.name))
    if given:  # the file's measured alarm delay was measured for its own policy, not this one
        given["delay"] = None
    both = ConfigFile("alert policy (the --alerts file with the --alert-* flags)",
                      "fix the --alerts file or the --alert-* flags", "docs/runtime.md")
    # the flags were checked above, the file's keys when it was read: only the rules across keys are left
    return replace(base, **given).agree(both if given else None)


def _check_outputs(args: argparse.Namespace) -> None:
    """Every output path before the model loads and the scan starts (one line, exit 1)."""
    from cleftedge.runtime.output_paths import check_output_path

    if not args.events_max_mib > 0:
        raise CleftEdgeError(f"--events-max-mib {args.events_max_mib}", "a positive size in MiB",
                             "e.g. --events-max-mib 256")
    for flag in ("events", "summary", "report", "annotate"):
        path = getattr(args, flag)
        if path and not (flag == "events" and path == "-"):
            check_output_path(path, "--" + flag)


def _run(args: argparse.Namespace) -> int:
    from cleftedge.runtime.alerts import load_alert_config
    from cleftedge.runtime.stop_signals import install_stop_handlers, restore_handlers

    if args.fps <= 0 or args.budget_ms <= 0:
        raise CleftEdgeError(f"--fps {args.fps} --budget-ms {args.budget_ms}", "positive numbers",
                             "e.g. --fps 30 --budget-ms 50")
    _check_outputs(args)
    alerts = alert_config(args, load_alert_config(args.alerts) if args.alerts else AlertConfig())
    access = _serve_access(args)  # a refused --serve says so before the model loads or any output opens
    stop, previous_handlers = install_stop_handlers()  # from here a signal closes the session cleanly
    try:
        return _scan(args, alerts, access, stop)
    finally:
        restore_handlers(previous_handlers)


def _scan(args, alerts, access, stop) -> int:
    from cleftedge.runtime.events import JsonlSink, Sinks, TerminalSink
    from cleftedge.runtime.model_flags import open_model
    from cleftedge.runtime.sources import open_source
    from cleftedge.runtime.stream import Pipeline

    model = open_model(args)
    source = open_source(args.source, realtime=args.realtime)
    sinks, server = [], None
    if not args.quiet:
        sinks.append(TerminalSink())
    if args.serve:  # before the events file: a busy port must not leave anything behind
        from cleftedge.runtime.live import LiveSink, start_live_server

        server = start_live_server(args.serve, access)
        sinks.append(LiveSink(server))
    if args.events:
        sinks.append(JsonlSink(args.events, args.score_every, args.events_max_mib))
    if args.annotate:
        from cleftedge.runtime.video_sink import VideoSink

        sinks.append(VideoSink(args.annotate, source.fps or args.fps))
    model.warmup(3)
    pipeline = Pipeline(model, source, Sinks(sinks), alerts, args.fps, args.budget_ms, source_label=args.source)
    try:
        session = pipeline.run(args.max_frames, stop)
        _outputs(args, pipeline, session)
        if stop.is_set():
            print(f"cleftedge: {stop.reason}: session closed, outputs written", file=sys.stderr)
            return stop.exit_code()
        if session.error:
            raise CleftEdgeError(f"the source failed: {session.error}", "a source that delivers frames",
                                 "check the source; the session's outputs were written up to the failure")
        errors = [e for e in session.events if e["type"] == "frame_error"]
        if errors and not session.summary["frames"]:  # not one frame could be scored: say why
            raise CleftEdgeError(f"no frame could be scored ({len(errors)} tried): {errors[0]['reason']}")
        if session.ended_early and not args.quiet:
            print(f"cleftedge: warning: {session.ended_early['reason']}", file=sys.stderr)
    finally:
        if server is not None:
            server.close()
        model.close()
    return 0


def _serve_access(args):
    if not args.serve:
        return None
    from cleftedge.runtime.live import parse_address, serve_access

    return serve_access(parse_address(args.serve)[0], args.serve_token_file, args.tls_cert, args.tls_key,
                        args.insecure_http)


def _outputs(args, pipeline, session) -> None:
    from cleftedge.atomic import write_text

    if args.summary:
        write_text(args.summary, json.dumps(session.summary, indent=2, default=str) + "\n")
    if args.report:
        from cleftedge.runtime.review.from_session import write_report

        write_report(args.report, session)
    if args.json:
        print(json.dumps(session.summary, default=str))
    elif not args.quiet:
        print(pipeline.metrics.table(), file=sys.stderr)
