import json
import shutil
import tracemalloc

import cv2
import numpy as np
import pytest
from calibration_helpers import frame, write_dicom, write_set

from cleftedge.calibration.datasets import check_leakage, open_dataset
from cleftedge.errors import CleftEdgeError


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    return write_set(tmp_path_factory.mktemp("ds") / "set", n=40)


def test_manifest_set_streams_samples_with_its_label_map(small_set):
    ds = open_dataset(small_set)
    assert ds.kind == "manifest" and len(ds) == 40
    samples = iter(ds)
    first = next(samples)
    assert first.image.dtype == np.uint8 and first.image.shape == (48, 48)
    assert first.label == "normal" and first.positive is False and first.case_id == "c-case000" and first.site
    positives = {s.label for s in ds if s.positive}
    assert positives == {"unilateral_left", "bilateral"}


def test_class_folders_without_a_manifest_use_the_folder_names(small_set, tmp_path):
    root = tmp_path / "folders"
    shutil.copytree(small_set, root)
    (root / "manifest.csv").unlink()
    ds = open_dataset(root)
    assert ds.kind == "folders" and len(ds) == 40
    assert {r.label for r in ds.records if r.positive} == {"unilateral_left", "bilateral"}


def test_an_unknown_label_is_refused_in_one_line(small_set, tmp_path):
    root = tmp_path / "bad"
    shutil.copytree(small_set, root)
    text = (root / "manifest.csv").read_text().replace(",bilateral,", ",Bilateral ,", 1)
    (root / "manifest.csv").write_text(text)
    with pytest.raises(CleftEdgeError) as e:
        open_dataset(root)
    assert "Bilateral" in str(e.value) and "line" in str(e.value) and "\n" not in str(e.value)


def _first_positive(t: str, severity: str) -> str:
    rows = t.splitlines()
    i = next(i for i, r in enumerate(rows) if ",bilateral," in r or ",unilateral_left," in r)
    rows[i] = rows[i].rsplit(",", 1)[0] + "," + severity
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize("edit,needle", [
    (lambda t: t.replace("path,label", "file,label"), "no path,label"),
    (lambda t: t.replace("normal/c0000.png", "normal/gone.png"), "gone.png"),
    (lambda t: t + t.splitlines()[1] + "\n", "twice"),
    # paths must stay inside the set's folder
    (lambda t: t.replace("normal/c0000.png", "../outside.png"), "outside the data set's folder"),
    # severity: a number in [0, 1], and 0 for labels without a cleft
    (lambda t: _first_positive(t, "1.7"), "severity '1.7'"),
    (lambda t: _first_positive(t, "nan"), "severity 'nan'"),
    (lambda t: _first_positive(t, "moderate"), "severity 'moderate'"),
    (lambda t: t.replace("c-case000,site-A,0", "c-case000,site-A,0.4", 1), "severity 0.4 for a label without a cleft"),
])
def test_broken_manifests_are_one_line_errors(small_set, tmp_path, edit, needle):
    root = tmp_path / "m"
    shutil.copytree(small_set, root)
    (root / "manifest.csv").write_text(edit((root / "manifest.csv").read_text()))
    (tmp_path / "outside.png").write_bytes((root / "normal" / "c0000.png").read_bytes())  # exists, but outside
    with pytest.raises(CleftEdgeError) as e:
        open_dataset(root)
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_dicom_cine_folder_gives_every_frame_with_the_files_label(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / "dicom"
    root.mkdir()
    write_dicom(root / "loop1.dcm", [frame(True, rng) for _ in range(5)])
    write_dicom(root / "still.dcm", [frame(False, rng)])
    (root / "labels.csv").write_text("path,label,case_id\nloop1.dcm,cleft,p1\nstill.dcm,normal,p2\n")
    ds = open_dataset(root)
    assert [r.key for r in ds.records] == [f"loop1.dcm#{i}" for i in range(5)] + ["still.dcm"]
    samples = list(ds)
    assert len(samples) == 6 and all(s.image.dtype == np.uint8 and s.image.shape == (48, 48) for s in samples)
    assert [s.positive for s in samples] == [True] * 5 + [False]
    picked = [r for r in ds.records if r.key in ("loop1.dcm#3", "still.dcm")]
    assert [s.key for s in ds.samples(picked)] == ["loop1.dcm#3", "still.dcm"]


def test_video_with_per_frame_labels(tmp_path):
    rng = np.random.default_rng(1)
    video = tmp_path / "sweep.avi"
    w = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (48, 48))
    cleft = [0, 0, 1, 1, 1, 0]
    for c in cleft:
        w.write(cv2.cvtColor(frame(bool(c), rng), cv2.COLOR_GRAY2BGR))
    w.release()
    rows = [f"{i},{0 if i == 5 else 1},{c}" for i, c in enumerate(cleft)]
    (tmp_path / "sweep.labels.csv").write_text("frame,in_plane,cleft\n" + "\n".join(rows) + "\n")
    ds = open_dataset(video)
    assert ds.kind == "video" and [r.label for r in ds.records] == ["normal"] * 2 + ["cleft"] * 3 + ["off_plane"]
    assert {r.case_id for r in ds.records} == {"sweep"}
    got = list(ds.samples([ds.records[3], ds.records[1]]))
    assert [s.key for s in got] == ["sweep.avi#1", "sweep.avi#3"] and got[1].positive
    (tmp_path / "sweep.labels.csv").write_text("frame,in_plane,cleft\n9,1,1\n")
    with pytest.raises(CleftEdgeError, match="frame 9"):
        open_dataset(video)


def test_iterating_does_not_hold_the_frames(tmp_path):
    root = write_set(tmp_path / "big", n=160)
    ds = open_dataset(root)
    tracemalloc.start()
    count = 0
    for s in ds:
        count += s.image.size > 0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 160 and peak < 40 * 48 * 48  # a few frames' worth, not 160


def test_content_hash_follows_bytes_not_location(small_set, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(small_set, copy)
    assert open_dataset(copy).content_hash() == open_dataset(small_set).content_hash()
    cv2.imwrite(str(copy / "normal" / "c0000.png"), np.zeros((48, 48), np.uint8))
    assert open_dataset(copy).content_hash() != open_dataset(small_set).content_hash()


def test_leakage_by_file_content_and_by_case_id(tmp_path):
    a = write_set(tmp_path / "a", n=24, seed=1, prefix="a")
    b = write_set(tmp_path / "b", n=24, seed=2, prefix="b")
    check_leakage({"calibration set": open_dataset(a), "QA set": open_dataset(b)})
    shutil.copy(a / "normal" / "a0000.png", b / "normal" / "b0000.png")  # same bytes, other name
    with pytest.raises(CleftEdgeError, match="share 1 file"):
        check_leakage({"calibration set": open_dataset(a), "QA set": open_dataset(b)})
    c = write_set(tmp_path / "c", n=24, seed=3, prefix="a")  # other pixels, same case ids as a
    with pytest.raises(CleftEdgeError) as e:
        check_leakage({"calibration set": open_dataset(a), "validation set": open_dataset(c)})
    assert "case ids" in str(e.value) and "a-case000" in str(e.value) and "--allow-overlap" in str(e.value)


def test_a_label_map_without_the_positive_list_is_refused(small_set, tmp_path):
    root = tmp_path / "lm"
    shutil.copytree(small_set, root)
    (root / "labels.json").write_text(json.dumps({"labels": ["normal"]}))
    with pytest.raises(CleftEdgeError, match="'positive'"):
        open_dataset(root)
