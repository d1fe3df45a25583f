"""The OpenVINO compiled-model cache: keyed by the engine's SHA-256 and the OpenVINO version, in a
private folder, every blob checked against the hash recorded when it was written."""

import json
import os
import stat

import numpy as np
import pytest
from backends_helpers import make_onnx, make_spec, random_batch

from cleftedge.runtime.backends import open_backend

ov = pytest.importorskip("openvino")


def scores(path, cache):
    with open_backend(path, "openvino", cache_dir=str(cache)) as b:
        return b.infer(random_batch(2))["logits"], b.describe()["cache"]


def records(cache):
    return sorted(cache.glob("*.json"))


def test_written_once_then_imported_and_keyed_by_engine_and_openvino(tmp_path, tiny_onnx):
    path, _ = tiny_onnx
    cache = tmp_path / "cache"
    first, status = scores(path, cache)
    assert status == "written" and stat.S_IMODE(os.stat(cache).st_mode) == 0o700
    again, status = scores(path, cache)
    assert status == "hit"
    np.testing.assert_array_equal(again, first)
    (record,) = records(cache)
    identity = json.loads(record.read_text())["identity"]
    from cleftedge.runtime.bundle.manifest import engine_identity

    assert identity["engine_sha256"] == engine_identity(path) and identity["openvino"] == ov.get_version()


def test_a_changed_engine_never_meets_its_old_blob(tmp_path):
    spec = make_spec()
    path = make_onnx(tmp_path / "m.onnx", spec, seed=0)
    cache = tmp_path / "cache"
    before, _ = scores(path, cache)
    make_onnx(path, spec, seed=7)  # same path, other weights
    after, status = scores(path, cache)
    with open_backend(path, "openvino", cache_dir="") as b:
        expected = b.infer(random_batch(2))["logits"]
    assert status == "written" and len(records(cache)) == 2
    np.testing.assert_allclose(after, expected, rtol=1e-3, atol=1e-3)
    assert not np.allclose(after, before)


def test_a_tampered_or_swapped_blob_is_not_loaded(tmp_path):
    spec = make_spec()
    a = make_onnx(tmp_path / "a.onnx", spec, seed=0)
    b = make_onnx(tmp_path / "b.onnx", spec, seed=7)
    cache = tmp_path / "cache"
    honest_b, _ = scores(b, cache)
    blob_b = sorted(cache.glob("*.blob"))[0]
    scores(a, cache)
    blob_a = next(p for p in cache.glob("*.blob") if p != blob_b)
    blob_b.write_bytes(blob_a.read_bytes())  # b's key now holds a's compiled network
    got, status = scores(b, cache)
    np.testing.assert_array_equal(got, honest_b)  # (an unchecked cache would give a's scores here)
    assert status.startswith("rejected: the blob does not match the SHA-256 recorded")
    assert scores(b, cache)[1] == "hit"  # rewritten with b's own blob
    # a's blob and record copied under b's key together: the record names another engine
    record_b = blob_b.with_suffix(".json")
    blob_b.write_bytes(blob_a.read_bytes())
    record_b.write_text(blob_a.with_suffix(".json").read_text())
    got, status = scores(b, cache)
    assert status.startswith("rejected: the record is for another engine")
    np.testing.assert_array_equal(got, honest_b)


def test_a_cache_folder_others_can_write_to_is_not_used(tmp_path, tiny_onnx):
    path, _ = tiny_onnx
    cache = tmp_path / "shared"
    cache.mkdir()
    os.chmod(cache, 0o777)
    got, status = scores(path, cache)
    assert status.startswith("not used:") and "can be written by its group or by other users" in status
    assert list(cache.iterdir()) == []  # nothing written, nothing read
    with open_backend(path, "openvino", cache_dir="") as b:
        np.testing.assert_array_equal(b.infer(random_batch(2))["logits"], got)
