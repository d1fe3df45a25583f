"""Each frame's flag is decided once (runtime.scoring.flagged through AlertPolicy.flag): the score
event, the review and the alert votes all take that one decision, so they cannot disagree."""

from stream_helpers import ListSink
from test_stream_frame_path import MovingFan

from cleftedge.runtime.alerts import AlertConfig, AlertPolicy
from cleftedge.runtime.events import Sinks
from cleftedge.runtime.model import Model
from cleftedge.runtime.stream import Pipeline


def test_each_frame_is_flagged_once_and_the_alert_votes_on_that_flag(ref_onnx, monkeypatch):
    decided = []
    real = AlertPolicy.flag

    def deciding(policy, score):
        decided.append(len(decided) % 2 == 0)  # a decision that changes with every call: two calls disagree
        return decided[-1] and real(policy, 0.0 * score + 1.0)

    monkeypatch.setattr(AlertPolicy, "flag", deciding)
    sink = ListSink()
    config = AlertConfig(k=2, n=2, clear_k=0, cooldown_frames=0)
    Pipeline(Model.open(ref_onnx), MovingFan(frames=6), Sinks([sink]), alerts=config).run()
    scores = sink.of("score")
    assert len(decided) == len(scores) == 6  # one decision per frame
    assert [e["flagged"] for e in scores] == decided
    assert not sink.of("alert_raised")  # the votes were those flags: never two in a row
