"""Real, small artifacts for the QA tests: a tiny FP32 ONNX classifier (conv, ReLU, pooling, gemm)
with its spec in the metadata, frames written to disk as a labelled data set (manifest with cases
and sites; 2,000 frames of 500 cases, so that the default policy can be shown: 300 positive and
500 negative clusters, above the 189 a zero-flip set needs), and candidates: an OpenVINO IR of the
same model (faithful), an onnxruntime QDQ INT8 marked as a TensorRT recipe (faithful, run as a
proxy), and a copy whose weights are perturbed until about 3 % of decisions flip (damaged)."""

from __future__ import annotations

import csv
import json

import cv2
import numpy as np
import pytest

SIZE = 32
FRAMES = 2000
FRAMES_PER_CASE = 4


def _spec(threshold: float) -> dict:
    return {"model_name": "tiny-qa", "model_version": "1",
            "input": {"name": "image", "height": SIZE, "width": SIZE, "channels": 1, "color": "GRAY"},
            "output": {"name": "logits", "class_names": ["normal", "cleft"], "positive_classes": [1],
                       "kind": "logits", "activation": "softmax", "threshold": threshold}}


def build_model(path, conv_w, conv_b, gemm_w, gemm_b, threshold=0.5, extra_meta=None):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inits = [numpy_helper.from_array(a.astype(np.float32), n) for a, n in
             ((conv_w, "conv_w"), (conv_b, "conv_b"), (gemm_w, "gemm_w"), (gemm_b, "gemm_b"))]
    nodes = [helper.make_node("Conv", ["image", "conv_w", "conv_b"], ["c"], pads=[2, 2, 2, 2]),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("GlobalAveragePool", ["r"], ["p"]),
             helper.make_node("Flatten", ["p"], ["f"]),
             helper.make_node("Gemm", ["f", "gemm_w", "gemm_b"], ["logits"], transB=1, name="head")]
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("image", TensorProto.FLOAT,
                                                                             ["N", 1, SIZE, SIZE])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 2])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    meta = {"cleftedge.spec": json.dumps(_spec(threshold)), **(extra_meta or {})}
    for k, v in meta.items():
        model.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _weights(seed=0):
    rng = np.random.default_rng(seed)
    conv_w = np.abs(rng.normal(0.2, 0.1, (4, 1, 5, 5)))
    conv_b = -conv_w.sum(axis=(1, 2, 3)) * 0.39  # ReLU keeps what is brighter than the background
    gemm_w = np.array([[0.0] * 4, [0.3, 0.25, 0.2, 0.25]])  # the cleft logit rises with brightness
    return conv_w, conv_b, gemm_w


def write_frames(root, n=FRAMES, seed=1, prefix="c"):
    """Bright-spot frames: clefts carry a brighter patch; four frames per case, two sites. A cleft
    case's last frame is off-plane (no cleft in view), as in real scans: every case is a negative
    cluster, every cleft case a positive one."""
    rng = np.random.default_rng(seed)
    rows = []
    labels = ["normal", "unilateral_left", "unilateral_right", "bilateral", "off_plane"]
    for case in range(n // FRAMES_PER_CASE):
        label = labels[case % 5]
        positive = label not in ("normal", "off_plane")
        severity = float(rng.uniform(0.1, 1.0)) if positive else 0.0
        base = rng.uniform(80, 95)
        for k in range(FRAMES_PER_CASE):
            img = np.clip(rng.normal(base, 25, (48, 48)), 0, 255)
            frame_label, frame_severity = label, severity
            if positive and k == FRAMES_PER_CASE - 1:
                frame_label, frame_severity = "off_plane", 0.0
            elif positive:
                y, x = rng.integers(8, 28, 2)
                img[y:y + 14, x:x + 14] += 20 + 50 * severity
            rel = f"{frame_label}/{prefix}{case:04d}_{k}.png"
            (root / frame_label).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(root / rel), np.clip(img, 0, 255).astype(np.uint8))
            rows.append([rel, frame_label, f"{prefix}-case{case:04d}", "site-A" if case % 2 else "site-B",
                         f"{frame_severity:.3f}"])
    with open(root / "manifest.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "case_id", "site", "severity"])
        w.writerows(rows)
    (root / "labels.json").write_text(json.dumps({"positive": ["unilateral_left", "unilateral_right", "bilateral"],
                                                  "labels": labels}))
    return root


def _features(model_path, frames):
    from cleftedge.runtime.model import Model

    m = Model.open(model_path, backend="onnxruntime")
    return np.concatenate([m.predict(frames[i:i + 64]).scores for i in range(0, len(frames), 64)])


def _load_frames(root):
    with open(root / "manifest.csv") as f:
        return [cv2.imread(str(root / r["path"]), cv2.IMREAD_GRAYSCALE) for r in csv.DictReader(f)]


@pytest.fixture(scope="session")
def qa_world(tmp_path_factory):
    """Paths to: the QA set, a disjoint validation set, the reference, and the candidates."""
    root = tmp_path_factory.mktemp("qa_world")
    qa = write_frames(root / "qa", seed=1, prefix="q")
    val = write_frames(root / "val", n=400, seed=2, prefix="v")
    frames = _load_frames(qa)
    conv_w, conv_b, gemm_w = _weights()
    # scale the cleft logit to a spread of about 4 and centre it on the QA set's median, so that
    # decisions split and few frames sit on the threshold
    probe = build_model(root / "probe.onnx", conv_w, conv_b, gemm_w, np.zeros(2))
    s = _features(probe, frames)
    logit = np.log(s / (1 - s))
    k = 4.0 / float(np.std(logit))
    gemm_w = gemm_w * k
    gemm_b = np.array([0.0, -float(np.median(logit)) * k])
    ref = build_model(root / "reference.onnx", conv_w, conv_b, gemm_w, gemm_b)
    ref_scores = _features(ref, frames)
    world = {"root": root, "qa": qa, "val": val, "reference": ref, "ref_scores": ref_scores, "frames": frames}
    world["damaged"] = _damaged(root, frames, ref_scores, conv_w, conv_b, gemm_w, gemm_b)
    return world


def _damaged(root, frames, ref_scores, conv_w, conv_b, gemm_w, gemm_b):
    """Perturb the conv weights, searching the noise scale until 2.5-4 % of decisions flip."""
    noise = np.random.default_rng(9).normal(0, 1, conv_w.shape)
    lo, hi = 0.0, 0.2
    path = root / "damaged.onnx"
    for _ in range(30):
        scale = (lo + hi) / 2
        build_model(path, conv_w + scale * noise, conv_b, gemm_w, gemm_b)
        rate = float(np.mean((_features(path, frames) >= 0.5) != (ref_scores >= 0.5)))
        if 0.025 <= rate <= 0.04:
            return path
        lo, hi = (scale, hi) if rate < 0.025 else (lo, scale)
    raise RuntimeError(f"could not damage the model to ~3 % flips (last {rate:.3f})")


@pytest.fixture(scope="session")
def ir_candidate(qa_world):
    import openvino as ov

    path = qa_world["root"] / "candidate_ir" / "model.xml"
    path.parent.mkdir()
    model = ov.Core().read_model(str(qa_world["reference"]))
    spec = dict(qa_world_spec(qa_world))
    model.set_rt_info(json.dumps(spec), ["cleftedge", "spec"])
    ov.save_model(model, str(path), compress_to_fp16=True)
    return path


def qa_world_spec(world) -> dict:
    from cleftedge.runtime.model_spec import read_onnx_metadata

    return json.loads(read_onnx_metadata(world["reference"])["cleftedge.spec"])


@pytest.fixture(scope="session")
def qdq_tensorrt_candidate(qa_world):
    """onnxruntime QDQ INT8 with TensorRT's rules, marked as the tensorrt recipe's output. The
    classifier head stays float (as --keep-float would): quantized logits tie many frames' scores."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    frames = qa_world["frames"][:64]

    class Reader(CalibrationDataReader):
        def __init__(self):
            x = np.stack([cv2.resize(f, (SIZE, SIZE)).astype(np.float32)[None] / 255.0 for f in frames])
            self.items = iter([{"image": x[i:i + 1]} for i in range(len(x))])

        def get_next(self):
            return next(self.items, None)

    out = qa_world["root"] / "candidate_trt_qdq.onnx"
    quantize_static(str(qa_world["reference"]), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8, nodes_to_exclude=["head"],
                    extra_options={"ActivationSymmetric": True, "WeightSymmetric": True, "QuantizeBias": False})
    model = onnx.load(str(out))
    keep = {p.key: p.value for p in model.metadata_props}
    # as calibrate writes it
    keep["cleftedge.calibration"] = json.dumps({"recipe": "tensorrt", "target": "tensorrt", "method": "minmax"})
    del model.metadata_props[:]
    for k, v in keep.items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, str(out))
    return out


@pytest.fixture(scope="session")
def sweeps_dir(tmp_path_factory):
    """Two labelled sweeps (mp4 + <stem>.labels.csv): cleft episodes carry the bright patch."""
    root = tmp_path_factory.mktemp("sweeps")
    rng = np.random.default_rng(3)
    for name, episodes in (("sweep_a", [(60, 150), (210, 270)]), ("sweep_b", [(100, 200)])):
        video = cv2.VideoWriter(str(root / f"{name}.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (48, 48))
        rows = []
        for i in range(300):
            cleft = any(a <= i < b for a, b in episodes)
            img = np.clip(rng.normal(88, 25, (48, 48)), 0, 255)
            if cleft:
                img[16:30, 16:30] += 50
            video.write(cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_GRAY2BGR))
            rows.append(f"{i},1,{int(cleft)}")
        video.release()
        (root / f"{name}.labels.csv").write_text("frame,in_plane,cleft\n" + "\n".join(rows) + "\n")
    return root


@pytest.fixture(scope="session")
def signing(tmp_path_factory):
    """A signing key pair and a trust store holding its public key (as on a signing host and a cart)."""
    from cleftedge.cli import main

    root = tmp_path_factory.mktemp("signing")
    assert main(["keys", "generate", "--out", str(root / "keys"), "--name", "scores-signing", "--role", "scores"]) == 0
    assert main(["keys", "generate", "--out", str(root / "keys"), "--name", "bundle-signing"]) == 0
    (root / "trust").mkdir()
    for name in ("scores-signing", "bundle-signing"):
        (root / "trust" / f"{name}.pub.pem").write_bytes((root / "keys" / f"{name}.pub.pem").read_bytes())
    return {"key": root / "keys" / "scores-signing.key.pem", "bundle_key": root / "keys" / "bundle-signing.key.pem",
            "trust": root / "trust"}


@pytest.fixture(scope="session")
def calibrated(qa_world):
    """Candidates made by `cleftedge calibrate` (so they carry a calibration record): the reference
    calibrated on its own calibration set (validation set: the world's), and the damaged model
    calibrated likewise (another FP32 source)."""
    from cleftedge.cli import main

    root = qa_world["root"]
    calib = write_frames(root / "calib", n=400, seed=5, prefix="k")
    out = {"calib": calib}
    for name, model in (("candidate", qa_world["reference"]), ("other_source", qa_world["damaged"])):
        path = root / f"{name}.int8.onnx"
        assert main(["calibrate", "--model", str(model), "--data", str(calib), "--val-data", str(qa_world["val"]),
                     "--target", "tensorrt", "--out", str(path), "--keep-float", "head"]) == 0
        out[name] = path
    return out


def judged_report(path) -> dict:
    """report.json without what may differ between two runs of the same judgement: when and how
    fast it ran (how it was scored, with how many inference threads), where its files lie, and the
    ledger's run counts."""
    doc = json.loads((path / "report.json").read_text())
    for key in ("created", "timing", "ledger"):
        doc.pop(key)
    for section in ("reference", "candidate", "data"):
        doc[section].pop("path", None)
        if isinstance(doc[section].get("backend"), dict):
            doc[section]["backend"].pop("threads", None)
    return doc


@pytest.fixture(scope="session")
def qa_helpers():
    """The builders above, for tests that make their own small sets and models."""
    return {"write_frames": write_frames, "build_model": build_model, "spec": qa_world_spec,
            "judged": judged_report}


@pytest.fixture(scope="session")
def small_qa_set(tmp_path_factory):
    """A small locked set (200 frames, 50 cases, two sites) for the tests that run `qa` several times
    on the same frames: the tensor cache, Ray and the data set read from a bucket."""
    return write_frames(tmp_path_factory.mktemp("small_qa_set"), n=200, seed=4, prefix="s")


@pytest.fixture
def qa_cli(capsys):
    """`cleftedge qa ARGS...` run in this process: (exit code, stdout, stderr)."""
    from cleftedge.cli import main

    def run(*argv):
        rc = main(["qa", *map(str, argv)])
        out = capsys.readouterr()
        return rc, out.out, out.err

    return run


@pytest.fixture(scope="session")
def ray_cluster():
    """A local Ray cluster of two CPUs, one per test session (skipped without the ray extra)."""
    ray = pytest.importorskip("ray", reason="the ray extra (pip install 'cleftedge[ray]'); make test installs it")
    # the workers' own environment, as a real cluster's nodes have theirs: the dummy AWS credentials that
    # test_qa_remote_set's S3 server (moto) accepts, whichever test started the session's cluster first
    aws = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_EC2_METADATA_DISABLED": "true"}
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False,
             runtime_env={"env_vars": aws})
    yield
    ray.shutdown()
