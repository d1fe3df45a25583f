import numpy as np
from stream_helpers import FlakyBackend, ListSink, SlowBackend, model_with

from cleftedge.runtime.events import Sinks
from cleftedge.runtime.model import Model
from cleftedge.runtime.sources import open_source
from cleftedge.runtime.stream import Pipeline


def test_slow_inference_drops_frames_and_never_queues(ref_onnx):
    model = model_with(SlowBackend, ref_onnx)
    sink = ListSink()
    source = open_source("sim:none?seed=1&seconds=2&fps=30")
    session = Pipeline(model, source, Sinks([sink])).run()
    m = session.summary
    assert m["dropped"] >= 25, m["dropped"]
    assert m["frames"] + m["dropped"] >= 57
    # a frame never waits behind others: at most about one inference before it is taken
    assert m["stages"]["capture"]["max"] < 250.0
    frames = [e["frame"] for e in sink.of("score")]
    assert frames == sorted(frames) and len(set(np.diff(frames))) > 1  # gaps where frames were dropped


def test_file_as_fast_as_possible_has_no_drops(ref_onnx, tmp_path):
    from cleftedge.simulator.sweep import write_sweep

    video, _ = write_sweep(tmp_path / "s.mp4", 1.5, "none", 3, progress=False)
    sink = ListSink()
    session = Pipeline(Model.open(ref_onnx, steady=True), open_source(str(video)), Sinks([sink])).run()
    assert session.summary["frames"] == 45 and session.summary["dropped"] == 0
    states = [(e["state"], e["reason"]) for e in sink.of("state")]
    assert ("paused", "source ended") in states and states[-1][0] == "stopped"
    assert sink.of("session_end") and sink.of("heartbeat")


def test_engine_fault_on_one_frame_does_not_end_the_session(ref_onnx):
    FlakyBackend.calls = 0
    model = model_with(FlakyBackend, ref_onnx)
    sink = ListSink()
    session = Pipeline(model, open_source("sim:none?seed=2&seconds=1&fps=30"), Sinks([sink])).run()
    errors = sink.of("frame_error")
    assert len(errors) == 1 and "engine fault" in errors[0]["reason"]
    assert len(sink.of("score")) >= 20 and session.summary["frame_errors"] == 1


def test_heartbeats_every_second_while_running(ref_onnx):
    sink = ListSink()
    Pipeline(Model.open(ref_onnx, steady=True), open_source("sim:none?seed=3&seconds=2.6&fps=30"),
             Sinks([sink])).run()
    beats = [e["t"] for e in sink.of("heartbeat")]
    assert len(beats) >= 3 and max(np.diff(beats)) < 1.5


def test_cleft_sweep_raises_an_alert_with_best_frame(ref_onnx):
    sink = ListSink()
    session = Pipeline(Model.open(ref_onnx, steady=True), open_source("sim:bilateral?seed=8&seconds=6&fps=30"),
                       Sinks([sink])).run()
    raised = sink.of("alert_raised")
    assert raised, "a cleft sweep raises an alert"
    alert = session.summary["alerts"][0]
    assert alert["peak_score"] >= sink.of("alert_raised")[0]["score"] - 1e-6
    assert alert["start_frame"] <= alert["best_frame"]
    assert session.flagged and all(f.jpeg[:2] == b"\xff\xd8" for f in session.flagged)
