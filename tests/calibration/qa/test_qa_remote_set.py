"""A locked QA set given as a URI pyarrow's filesystems read: a real S3 protocol server (moto's, on a
free loopback port) holds a copy of the small set. `qa` and `qa --ray` on the s3:// URI give the
content hash, the report figures and the verdict of `qa` on the local copy (and read its tensor
cache); an object replaced after the set was locked, or after it was hashed, is refused; a bad URI,
a refusing endpoint and a missing pyarrow each give one line and exit 1."""

import json
import logging
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytest.importorskip("pyarrow.fs", reason="pyarrow comes with the ray extra; make test installs it")
moto_server = pytest.importorskip("moto.server", reason="moto[server] is in the dev extra; make test installs it")
boto3 = pytest.importorskip("boto3")

BUCKET = "qa-sets"


@pytest.fixture(scope="module")
def s3():
    """moto's S3 server on 127.0.0.1 (a port the OS picks), with the AWS environment a user sets."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")
        server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        endpoint = f"{host}:{port}"
        client = boto3.client("s3", endpoint_url=f"http://{endpoint}", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield {"client": client, "endpoint": endpoint}
        server.stop()


def _upload(s3, folder, prefix):
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            s3["client"].upload_file(str(f), BUCKET, f"{prefix}/{f.relative_to(folder).as_posix()}")
    return f"s3://{BUCKET}/{prefix}?endpoint_override={s3['endpoint']}&scheme=http"


@pytest.fixture(scope="module")
def disk_set(tmp_path_factory, qa_helpers):
    """60 frames (15 cases): every frame an object round trip to moto, kept few (the suite's budget)."""
    return qa_helpers["write_frames"](tmp_path_factory.mktemp("disk_set"), n=60, seed=4, prefix="s")


@pytest.fixture(scope="module")
def bucket_set(s3, disk_set):
    return _upload(s3, disk_set, "sets/small")


@contextmanager
def _replaced(s3, disk_set, uri, key="normal/s0000_0.png"):
    """One object of the bucket's set holds a retouched frame (one pixel brighter), until the block ends."""
    import cv2

    prefix = uri.split("?")[0].removeprefix(f"s3://{BUCKET}/")
    img = cv2.imread(str(disk_set / key), cv2.IMREAD_UNCHANGED)
    img[0, 0] = min(255, int(img[0, 0]) + 40)
    s3["client"].put_object(Bucket=BUCKET, Key=f"{prefix}/{key}", Body=cv2.imencode(".png", img)[1].tobytes())
    try:
        yield
    finally:
        s3["client"].put_object(Bucket=BUCKET, Key=f"{prefix}/{key}", Body=(disk_set / key).read_bytes())


@pytest.fixture(scope="module")
def on_disk(qa_world, disk_set, tmp_path_factory):
    """`qa` of the damaged candidate on the local copy (flips, so a FAIL or INCONCLUSIVE with thumbnails),
    writing the set's tensor cache."""
    from cleftedge.cli import main

    root = tmp_path_factory.mktemp("on_disk")
    rc = main(["qa", "--reference", str(qa_world["reference"]), "--candidate", str(qa_world["damaged"]), "--data",
               str(disk_set), "--report", str(root / "report"), "--cache", str(root / "tensors")])
    doc = json.loads((root / "report" / "report.json").read_text())
    return {"rc": rc, "report": root / "report", "cache": root / "tensors", "hash": doc["data"]["content_hash"]}


def _base(qa_world, data):
    return ["--reference", qa_world["reference"], "--candidate", qa_world["damaged"], "--data", data]


def _thumbs(report):
    return (report / "report.html").read_text().count('src="data:image/jpeg;base64,')


def test_qa_of_a_bucket_is_the_qa_of_its_copy_on_disk(qa_world, bucket_set, on_disk, qa_helpers, tmp_path, qa_cli):
    judged = qa_helpers["judged"]
    rc, _, err = qa_cli(*_base(qa_world, bucket_set), "--report", tmp_path / "s3", "--expect-data-hash",
                        on_disk["hash"])
    assert rc == on_disk["rc"] == 1, err  # the damaged candidate flips decisions
    doc = json.loads((tmp_path / "s3" / "report.json").read_text())
    assert doc["data"]["content_hash"] == on_disk["hash"] and doc["data"]["path"] == bucket_set
    assert judged(tmp_path / "s3") == judged(on_disk["report"])
    assert _thumbs(tmp_path / "s3") == _thumbs(on_disk["report"]) > 0  # the flipped frames re-read from the bucket
    # the tensor cache written from the disk copy is the bucket's too: same keys, same hash
    rc, _, err = qa_cli(*_base(qa_world, bucket_set), "--report", tmp_path / "cached", "--cache", on_disk["cache"])
    assert rc == 1 and json.loads((tmp_path / "cached" / "report.json").read_text())["timing"]["tensor_cache"] == "read"
    assert judged(tmp_path / "cached") == judged(on_disk["report"])


def test_qa_on_ray_reads_the_bucket_with_the_same_report(qa_world, s3, bucket_set, on_disk, ray_cluster, qa_helpers,
                                                         tmp_path, qa_cli):
    """The workers read the objects themselves; credentials written into the URI never reach the report."""
    with_keys = bucket_set.replace("s3://", "s3://testing:not-a-secret@")
    rc, _, err = qa_cli(*_base(qa_world, with_keys), "--report", tmp_path / "ray", "--ray")
    assert rc == 1, err
    doc = json.loads((tmp_path / "ray" / "report.json").read_text())
    assert doc["timing"]["scorer"] == "ray" and doc["missing_frames"] is None
    assert doc["data"]["path"] == bucket_set.replace("s3://", "s3://***@")
    assert "not-a-secret" not in (tmp_path / "ray" / "report.json").read_text() + \
        (tmp_path / "ray" / "report.html").read_text()
    assert qa_helpers["judged"](tmp_path / "ray") == qa_helpers["judged"](on_disk["report"])


def _one_line(rc, err):
    lines = err.strip().splitlines()
    assert rc == 1 and len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_an_object_replaced_after_the_set_was_locked_is_refused(qa_world, s3, disk_set, bucket_set, on_disk, tmp_path,
                                                                 qa_cli):
    with _replaced(s3, disk_set, bucket_set):
        rc, _, err = qa_cli(*_base(qa_world, bucket_set), "--report", tmp_path / "x", "--expect-data-hash",
                            on_disk["hash"])
        assert "has content hash" in _one_line(rc, err) and not (tmp_path / "x").exists()
        # and the tensor cache, keyed by the locked hash, is refused too
        rc, _, err = qa_cli(*_base(qa_world, bucket_set), "--report", tmp_path / "x", "--cache", on_disk["cache"])
        assert "holds the data set" in _one_line(rc, err) and not (tmp_path / "x").exists()


@pytest.mark.parametrize("on_ray", [False, True], ids=["local", "ray"])
def test_an_object_replaced_after_it_was_hashed_is_refused(qa_world, s3, disk_set, bucket_set, tmp_path, on_ray,
                                                            request):
    """Between the hash (when the set is opened) and the reads (the scoring, on this machine or on the
    workers) the bucket changes: the frames judged must be the bytes hashed, or nothing is judged."""
    from cleftedge.calibration.qa.models import close_models
    from cleftedge.calibration.qa.request import QaRequest
    from cleftedge.calibration.qa.run import prepare_qa, score_qa_set
    from cleftedge.errors import CleftEdgeError

    if on_ray:
        request.getfixturevalue("ray_cluster")
    req = QaRequest(reference=qa_world["reference"], data=bucket_set, candidate=qa_world["damaged"],
                    report=tmp_path / "x", progress=False, ray="local" if on_ray else None)
    ctx = prepare_qa(req)
    try:
        with _replaced(s3, disk_set, bucket_set), \
                pytest.raises(CleftEdgeError, match="normal/s0000_0.png changed after the set was hashed"):
            score_qa_set(req, ctx)
    finally:
        close_models(ctx.ref_model, ctx.cand_model)


def test_bad_locations_are_one_line(qa_world, s3, tmp_path, qa_cli, monkeypatch):
    ep = s3["endpoint"]
    cases = {f"foo://{BUCKET}/x": "is not a data-set location pyarrow can open",
             f"s3://{BUCKET}/x?endpoint_override={ep}&scheme=http&colour=blue": "Unexpected query parameter",
             f"s3://{BUCKET}/no-such-set?endpoint_override={ep}&scheme=http": "does not exist",
             f"s3://no-such-bucket/x?endpoint_override={ep}&scheme=http": "does not exist"}
    for uri, said in cases.items():
        rc, _, err = qa_cli(*_base(qa_world, uri), "--report", tmp_path / "x")
        assert said in _one_line(rc, err) and not (tmp_path / "x").exists()


class _Refusing(BaseHTTPRequestHandler):
    """What S3 answers a request without valid credentials: 403 AccessDenied."""

    def _deny(self):
        body = b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
        self.send_response(403)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = _deny

    def log_message(self, *args):
        pass


def test_refused_credentials_and_a_missing_pyarrow_are_one_line(qa_world, tmp_path, qa_cli, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        uri = f"s3://{BUCKET}/sets/small?endpoint_override=127.0.0.1:{server.server_port}&scheme=http"
        rc, _, err = qa_cli(*_base(qa_world, uri), "--report", tmp_path / "x")
        line = _one_line(rc, err)
        assert "ACCESS_DENIED" in line and "AWS_ACCESS_KEY_ID" in line
    finally:
        server.shutdown()
    # a cart (no pyarrow): the install hint, and a local path still reads as it always has
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.fs", None)
    rc, _, err = qa_cli(*_base(qa_world, f"s3://{BUCKET}/elsewhere"), "--report", tmp_path / "x")
    assert "pip install 'cleftedge[ray]'" in _one_line(rc, err)


def test_a_file_uri_is_the_local_set(disk_set):
    """file:// goes through pyarrow's local filesystem (an NFS mount given as a URI): the same records, hash
    and pixels."""
    import numpy as np

    from cleftedge.calibration.datasets import open_dataset

    plain, uri = open_dataset(disk_set), open_dataset(f"file://{disk_set}")
    assert uri.store.uri and uri.content_hash() == plain.content_hash() and uri.kind == plain.kind == "manifest"
    first = [(s.key, s.image) for s, _ in zip(uri, range(3), strict=False)]
    assert all(k == s.key and np.array_equal(img, s.image)
               for (k, img), s in zip(first, plain, strict=False))


def test_class_folders_at_a_uri_are_the_local_set(disk_set, tmp_path):
    """The folder-per-label layout (no manifest), listed through pyarrow: the same records and hash."""
    import shutil

    from cleftedge.calibration.datasets import open_dataset

    folders = tmp_path / "folders"
    shutil.copytree(disk_set, folders, ignore=shutil.ignore_patterns("manifest.csv"))
    plain, uri = open_dataset(folders), open_dataset(f"file://{folders}")
    assert plain.kind == uri.kind == "folders" and len(uri) == len(plain) == 60
    assert [r.key for r in uri.records] == [r.key for r in plain.records]
    assert uri.content_hash() == plain.content_hash()
