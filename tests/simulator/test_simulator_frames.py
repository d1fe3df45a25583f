import csv
import json

import cv2
import numpy as np
import pytest

from cleftedge.cli import main
from cleftedge.runtime.preprocess import find_sector
from cleftedge.simulator.dataset import MANIFEST_COLUMNS, generate, write_frames
from cleftedge.simulator.labels import LABELS, is_positive, label_map
from cleftedge.simulator.render import render_frame


def test_deterministic_by_seed():
    a = [f.image for f, _, _ in generate(6, seed=11)]
    b = [f.image for f, _, _ in generate(6, seed=11)]
    c = [f.image for f, _, _ in generate(6, seed=12)]
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])


def test_sets_with_different_seeds_share_no_case():
    ids_a = {case for _, case, _ in generate(40, seed=1)}
    ids_b = {case for _, case, _ in generate(40, seed=2)}
    assert ids_a and not ids_a & ids_b
    assert len(ids_a) < 40  # several frames per case


def test_frame_shape_fan_on_black_and_lip_box():
    rng = np.random.default_rng(0)
    f = render_frame("unilateral_left", 0.5, rng)
    assert f.image.shape == (480, 640, 3) and f.image.dtype == np.uint8
    assert f.in_plane and f.severity == pytest.approx(0.5)
    x0, y0, x1, y1 = f.lip_box
    assert 0 <= x0 < x1 <= 640 and 0 <= y0 < y1 <= 480
    sector = find_sector(f.image)
    sx0, sy0, sx1, sy1 = sector.box
    assert sx0 <= x0 and x1 <= sx1 and sy0 <= y0 and y1 <= sy1  # the lip lies inside the fan
    assert f.image[470:, :5].max() == 0 or f.image[0, 0].max() == 0  # black outside the fan
    off = render_frame("off_plane", 0.0, rng)
    assert not off.in_plane and off.lip_box is None and off.severity == 0.0


def test_label_map_binary_task():
    m = label_map()
    assert set(m["positive"]) == {"unilateral_left", "unilateral_right", "bilateral"}
    assert "off_plane" in m["negative"] and not is_positive("off_plane") and is_positive("bilateral")


def test_written_data_set_layout(tmp_path):
    manifest = write_frames(tmp_path / "set", count=30, seed=4, progress=False)
    rows = list(csv.DictReader(open(manifest)))
    assert tuple(rows[0].keys()) == MANIFEST_COLUMNS and len(rows) == 30
    for r in rows:
        assert r["label"] in LABELS and r["path"].startswith(r["label"] + "/")
        img = cv2.imread(str(manifest.parent / r["path"]))
        assert img.shape == (480, 640, 3)
        assert (r["lip_x0"] == "") == (r["label"] == "off_plane")
    labels = json.loads((manifest.parent / "labels.json").read_text())
    assert labels["positive"] == label_map()["positive"]
    assert {p.name for p in manifest.parent.iterdir() if p.is_dir()} == set(LABELS)


def test_cli_refuses_bad_count_and_leaves_nothing(tmp_path, capsys):
    assert main(["simulate", "frames", "--out", str(tmp_path / "x"), "--count", "0"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--count 0" in err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("argv", [
    ["frames", "--out", "OUT", "--count", "abc"],
    ["frames", "--out", "OUT", "--count", "5", "--off-plane-fraction", "1.5"],
    ["frames", "--count", "5"],
    ["sweep", "--out", "OUT.mp4", "--seconds", "2", "--cleft", "maybe"],
    ["sweep", "--out", "OUT.mp4", "--seconds", "0.01"],
    ["sweep", "--out", "OUT.mp4", "--seconds", "2", "--fps", "0"],
    ["sweep", "--out", "OUT.txt", "--seconds", "2"],
    ["sweep", "--out", "OUT.mp4", "--seconds", "2", "--cleft", "unilateral", "--severity", "3"],
])
def test_cli_bad_flags_one_line_exit_1_nothing_written(tmp_path, capsys, argv):
    argv = [a.replace("OUT", str(tmp_path / "out")) for a in argv]
    try:
        rc = main(["simulate", *argv])
    except SystemExit as exc:  # argparse-level errors leave through sys.exit
        rc = exc.code
    assert rc == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("cleftedge: error:")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [["frames", "--count", "many", "--out", "x"], ["sweep", "--seconds", "2"]])
def test_a_bad_flag_is_the_clis_own_one_line_naming_the_command(capsys, argv):
    """simulate's parsers are the CLI's Parser (no patch of their own): the line names the command's help."""
    with pytest.raises(SystemExit) as exc:
        main(["simulate", *argv])
    err = capsys.readouterr().err
    assert exc.value.code == 1 and err.count("\n") == 1
    assert err.startswith("cleftedge: error:") and f"'cleftedge simulate {argv[0]} --help'" in err
