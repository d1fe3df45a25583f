"""Streaming scoring with real models, and which backend runs which candidate."""

from collections import namedtuple

import numpy as np
import pytest

from cleftedge.calibration.qa.candidate import model_identity, plan_candidate
from cleftedge.calibration.qa.scorer import ScoreOptions, score_stream
from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.model import Model

Sample = namedtuple("Sample", "key image label positive case_id site severity")


def _samples(world, n=None):
    frames = world["frames"][:n] if n else world["frames"]
    for i, f in enumerate(frames):
        yield Sample(f"k{i}", f, "normal", i % 2 == 0, f"case{i // 4}", None, None)


def test_stream_scores_match_direct_prediction_and_keeps_few_thumbnails(qa_world):
    ref = Model.open(qa_world["reference"], backend="onnxruntime")
    dmg = Model.open(qa_world["damaged"], backend="onnxruntime")
    got, thumbs = score_stream(_samples(qa_world), ref, dmg, 0.5, 0.5,
                                ScoreOptions(batch=17, keep_thumbs=3, progress=False))
    assert np.allclose(got.ref, qa_world["ref_scores"], atol=1e-6)
    data = got.scored_set()
    flipped = (data.ref >= 0.5) != (data.cand >= 0.5)
    assert flipped.sum() > 3 and len(thumbs) == 3  # bounded: not every flipped frame, let alone every frame
    change = np.abs(data.cand - data.ref)
    top = {data.keys[i] for i in np.argsort(-np.where(flipped, change, -1))[:3]}
    assert set(thumbs) == top
    assert all(j[:2] == b"\xff\xd8" for j in thumbs.values())  # JPEG
    assert np.isnan(data.severity).all() and data.case_ids[5] == "case1"


def test_duplicate_keys_are_refused(qa_world):
    ref = Model.open(qa_world["reference"], backend="onnxruntime")
    dup = [Sample("same", f, "normal", False, None, None, None) for f in qa_world["frames"][:2]]
    with pytest.raises(CleftEdgeError, match="same frame key twice"):
        score_stream(dup, ref, None, options=ScoreOptions(progress=False))


def test_candidate_plans(qa_world, ir_candidate, qdq_tensorrt_candidate):
    assert plan_candidate(ir_candidate, None).run == "openvino"
    p = plan_candidate(qdq_tensorrt_candidate, None)
    assert (p.intended, p.run, p.proxy) == ("tensorrt", "onnxruntime", True)
    p = plan_candidate(qa_world["damaged"], None)
    assert (p.intended, p.run, p.proxy) == ("onnxruntime", "onnxruntime", False)
    assert plan_candidate(qdq_tensorrt_candidate, "openvino").run == "openvino"
    with pytest.raises(CleftEdgeError, match="does not exist"):
        plan_candidate(qa_world["root"] / "nope.onnx", None)
    # an IR's identity covers its weights too
    a = model_identity(ir_candidate)
    bin_path = ir_candidate.with_suffix(".bin")
    data = bin_path.read_bytes()
    try:
        bin_path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
        assert model_identity(ir_candidate) != a
    finally:
        bin_path.write_bytes(data)


def test_parallel_reading_keeps_the_data_set_order(qa_world):
    from cleftedge.calibration.datasets import open_dataset
    from cleftedge.calibration.qa.reading import iter_samples

    ds = open_dataset(qa_world["qa"])
    plain = [(s.key, s.image.sum()) for s in ds]
    threaded = [(s.key, s.image.sum()) for s in iter_samples(ds, threads=3, ahead=5)]
    assert threaded == plain and len(plain) == len(qa_world["frames"])
