"""`cleftedge qa --cache DIR`: the tensor cache of a locked set, written once and then read instead of
the images; a cache for another set, another preprocessing or an edited shard is refused."""

import json

import numpy as np


def test_cache_is_written_once_then_read_with_the_same_report(qa_world, small_qa_set, qa_helpers, tmp_path, qa_cli):
    judged = qa_helpers["judged"]
    base = ["--reference", qa_world["reference"], "--candidate", qa_world["damaged"], "--data", small_qa_set]
    cache = tmp_path / "tensors"
    rc_plain, _, _ = qa_cli(*base, "--report", tmp_path / "plain")
    rc, _, _ = qa_cli(*base, "--report", tmp_path / "first", "--cache", cache)
    assert rc == rc_plain
    index = json.loads((cache / "cache.json").read_text())
    assert index["frames"] == 200 and sum(s["frames"] for s in index["shards"]) == 200
    assert json.loads((tmp_path / "first" / "report.json").read_text())["timing"]["tensor_cache"] == "written"
    rc, _, err = qa_cli(*base, "--report", tmp_path / "again", "--cache", cache)
    assert rc == rc_plain and (tmp_path / "again").is_dir(), err
    assert json.loads((tmp_path / "again" / "report.json").read_text())["timing"]["tensor_cache"] == "read"
    plain = judged(tmp_path / "plain")
    assert judged(tmp_path / "first") == plain and judged(tmp_path / "again") == plain
    # the thumbnails of the flipped frames are re-read from the images
    html = (tmp_path / "again" / "report.html").read_text()
    assert html.count('src="data:image/jpeg;base64,') == (tmp_path / "plain" / "report.html").read_text().count(
        'src="data:image/jpeg;base64,') > 0


def test_cached_tensors_are_the_runtimes_own(qa_world, small_qa_set, tmp_path, qa_cli):
    from cleftedge.calibration.datasets import open_dataset
    from cleftedge.runtime.model import Model
    from cleftedge.runtime.preprocess import Preprocessor

    cache = tmp_path / "tensors"
    rc, _, _ = qa_cli("--reference", qa_world["reference"], "--data", small_qa_set, "--save-reference-scores",
                   tmp_path / "s.json", "--cache", cache)
    assert rc == 0
    index = json.loads((cache / "cache.json").read_text())
    with np.load(cache / index["shards"][0]["file"]) as z:
        cached = z["tensors"][:10]
    pre = Preprocessor(Model.open(qa_world["reference"], backend="onnxruntime").spec.input)
    frames = [s.image for s, _ in zip(open_dataset(small_qa_set), range(10), strict=False)]
    assert np.array_equal(cached, pre.batch(frames))  # bit for bit


def _build(qa_world, small_qa_set, cache, qa_cli, tmp_path):
    rc, _, _ = qa_cli("--reference", qa_world["reference"], "--candidate", qa_world["damaged"], "--data",
                   small_qa_set, "--report", tmp_path / "built", "--cache", cache)
    assert cache.is_dir() and rc in (0, 1)


def _refused(qa_cli, qa_world, data, cache, out, reference=None, candidate=None):
    rc, _, stderr = qa_cli("--reference", reference or qa_world["reference"], "--candidate",
                        candidate or qa_world["damaged"], "--data", data, "--report", out, "--cache", cache)
    lines = stderr.strip().splitlines()
    assert rc == 1 and len(lines) == 1 and f"tensor cache {cache}: " in lines[0]
    assert "Traceback" not in stderr and not out.exists()
    return lines[0]


def test_edited_tensor_shard_is_refused(qa_world, small_qa_set, tmp_path, qa_cli):
    cache = tmp_path / "tensors"
    _build(qa_world, small_qa_set, cache, qa_cli, tmp_path)
    shard = cache / json.loads((cache / "cache.json").read_text())["shards"][0]["file"]
    data = bytearray(shard.read_bytes())
    data[-200] ^= 0x01  # one bit of one tensor value
    shard.write_bytes(bytes(data))
    line = _refused(qa_cli, qa_world, small_qa_set, cache, tmp_path / "out")
    assert "does not match its SHA-256" in line
    assert shard.read_bytes() == bytes(data)  # refused, not rebuilt over


def test_cache_of_another_data_set_is_refused(qa_world, small_qa_set, qa_helpers, tmp_path, qa_cli):
    cache = tmp_path / "tensors"
    _build(qa_world, small_qa_set, cache, qa_cli, tmp_path)
    other = qa_helpers["write_frames"](tmp_path / "other", n=200, seed=8, prefix="s")
    line = _refused(qa_cli, qa_world, other, cache, tmp_path / "out")
    assert "holds the data set" in line
    # the same set with one frame's label changed is another data set too
    manifest = small_qa_set / "manifest.csv"
    text = manifest.read_text()
    try:
        manifest.write_text(text.replace("normal/s0000_0.png,normal", "normal/s0000_0.png,off_plane", 1))
        assert "holds the data set" in _refused(qa_cli, qa_world, small_qa_set, cache, tmp_path / "out")
    finally:
        manifest.write_text(text)


def test_cache_of_another_preprocessing_is_refused(qa_world, small_qa_set, qa_helpers, tmp_path, qa_cli):
    cache = tmp_path / "tensors"
    _build(qa_world, small_qa_set, cache, qa_cli, tmp_path)
    import onnx

    spec = qa_helpers["spec"](qa_world)
    spec["input"]["std"] = [0.5]  # the same weights, normalised otherwise
    model = onnx.load(str(qa_world["reference"]))
    w = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    other = qa_helpers["build_model"](tmp_path / "other-spec.onnx", w["conv_w"], w["conv_b"], w["gemm_w"], w["gemm_b"],
                        extra_meta={"cleftedge.spec": json.dumps(spec)})
    rc, _, stderr = qa_cli("--reference", other, "--data", small_qa_set, "--save-reference-scores",
                        tmp_path / "s.json", "--cache", cache)
    assert rc == 1 and "preprocessed otherwise (input std differ" in stderr and len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "s.json").exists()


def test_a_folder_that_is_not_a_cache_is_refused(qa_world, small_qa_set, tmp_path, qa_cli):
    cache = tmp_path / "notes"
    cache.mkdir()
    (cache / "readme.txt").write_text("my files")
    assert "not a tensor cache" in _refused(qa_cli, qa_world, small_qa_set, cache, tmp_path / "out")
    assert (cache / "readme.txt").read_text() == "my files"
