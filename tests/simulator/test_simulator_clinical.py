"""Clinical difficulty: standard frames unchanged, clinical frames deterministic, every effect drawn with
its own probability and visible when it fires, look-alikes persisting and moving in sweeps."""

import hashlib
import json
from dataclasses import replace

import numpy as np
import pytest

from cleftedge.cli import main
from cleftedge.simulator import clinical, scene
from cleftedge.simulator.dataset import generate, sample_case
from cleftedge.simulator.render import Conditions, Pose, render_frame
from cleftedge.simulator.sweep import iter_sweep

# sha256 of generate(12, seed=11) and of iter_sweep(0.4, "unilateral", seed=5), computed on main before
# clinical difficulty existed: standard difficulty must stay bit-identical (sets, tests, the reference model)
STANDARD_FRAMES_SHA = "d930cab25791bc9c864da21fb7c6d4c00b89d95e22005b355567112c21ccb2e1"
STANDARD_SWEEP_SHA = "fb3b24c37cc086fe3bb282c51757fe33f0f574c99c36a52479b9798094ab15e4"


def _frames_sha(**kw):
    h = hashlib.sha256()
    for f, case, site in generate(12, seed=11, **kw):
        h.update(f.image.tobytes())
        h.update(f"{f.label}{f.severity:.6f}{case}{site}{f.lip_box}".encode())
    return h.hexdigest()


def _sweep_sha(**kw):
    h = hashlib.sha256()
    for f in iter_sweep(0.4, "unilateral", seed=5, **kw):
        h.update(f.image.tobytes())
        h.update(f"{f.in_plane}{f.cleft}{f.severity:.6f}".encode())
    return h.hexdigest()


def test_standard_difficulty_is_bit_identical_to_before():
    assert _frames_sha() == STANDARD_FRAMES_SHA
    assert _frames_sha(difficulty="standard") == STANDARD_FRAMES_SHA
    assert _sweep_sha(difficulty="standard") == STANDARD_SWEEP_SHA


def test_clinical_is_deterministic_by_seed_and_differs_from_standard():
    assert _frames_sha(difficulty="clinical") == _frames_sha(difficulty="clinical") != STANDARD_FRAMES_SHA
    assert _sweep_sha(difficulty="clinical") == _sweep_sha(difficulty="clinical") != STANDARD_SWEEP_SHA
    a = [f.image for f, _, _ in generate(3, seed=12, difficulty="clinical")]
    b = [f.image for f, _, _ in generate(3, seed=13, difficulty="clinical")]
    assert not np.array_equal(a[0], b[0])


def test_each_effect_fires_with_its_own_probability():
    rng = np.random.default_rng(0)
    n = 4000
    counts = dict.fromkeys(clinical.EFFECTS, 0)
    for _ in range(n):
        for name, strength in clinical.draw_effects(rng).items():
            if strength is not None:
                counts[name] += 1
                lo, hi = clinical.EFFECTS[name].strength
                assert lo <= strength <= hi
    for name, effect in clinical.EFFECTS.items():
        p = effect.probability
        assert abs(counts[name] / n - p) < 4 * np.sqrt(p * (1 - p) / n) + 1e-9, (name, counts[name] / n, p)


def test_clinical_clefts_reach_a_notch_of_severity_0_05():
    rng = np.random.default_rng(1)
    sev = np.array([c.anatomy.severity for c in (sample_case(rng, "x", difficulty="clinical") for _ in range(3000))
                    if c.label != "normal"])
    assert sev.min() < 0.07 and sev.min() >= 0.05
    assert abs((sev < 0.35).mean() - clinical.EFFECTS["subtle"].probability) < 0.05  # the subtle band's share
    standard = np.array([c.anatomy.severity for c in (sample_case(rng, "x") for _ in range(1000))
                         if c.label != "normal"])
    assert standard.min() >= 0.1


def _render(label, severity, hard, site="site-A"):
    rng = np.random.default_rng(21)
    anatomy = scene.Anatomy.sample(rng, "right" if severity else "none", severity)
    pose = Pose.sample(rng)
    return render_frame(label, severity, rng, anatomy, pose, Conditions(site, "clinical", hard))


EMPTY = clinical.Clinical({}, (), 1.0, (), (0.0, 0.0), (0.0, 0, 0), (0.0, 0.0))


@pytest.mark.parametrize("name", [n for n in clinical.EFFECTS if n != "subtle"])
def test_every_effect_changes_the_picture_and_look_alikes_change_the_lip(name):
    hard = clinical.only(name, 0.9, np.random.default_rng(3))
    if hard.occluders:
        hard = replace(hard, occluders=(replace(hard.occluders[0], u=0.1, v=-0.2),))
    label, severity = ("unilateral_right", 0.5) if name == "near_plane" else ("normal", 0.0)
    base, frame = _render(label, severity, EMPTY), _render(label, severity, hard)
    x0, y0, x1, y1 = base.lip_box
    if clinical.EFFECTS[name].group not in ("look-alike", "cleft"):  # windows and artefacts: anywhere in the fan
        x0, y0, x1, y1 = 0, 120, 640, 480
    diff = np.abs(base.image.astype(int) - frame.image.astype(int))[y0:y1, x0:x1].max(axis=2)
    changed = int((diff > 30).sum())  # a notch-sized look-alike changes a few hundred pixels
    assert changed > 150, f"{name} changes only {changed} pixels of {'the lip' if y0 != 120 else 'the fan'}"
    assert frame.lip_box == base.lip_box and frame.label == base.label  # a look-alike never changes the truth


def test_sites_have_their_own_processing_chains():
    images = [_render("normal", 0.0, EMPTY, site).image.astype(int) for site in clinical.SITE_CHAINS]
    x0, y0, x1, y1 = 200, 150, 440, 330  # inside the fan (overlays differ anyway)
    for i in range(len(images)):
        for j in range(i + 1, len(images)):
            assert np.abs(images[i][y0:y1, x0:x1] - images[j][y0:y1, x0:x1]).mean() > 3


def test_sweep_look_alikes_persist_0_3_to_3_s_and_move():
    fps = 30.0
    hard = clinical.sample_sweep(int(600 * fps), fps, np.random.default_rng(4))
    eps = hard.episodes
    assert len(eps) > 60  # about one every 5 s over 10 minutes
    seconds = np.array([e.frames / fps for e in eps if e.occluder.kind != "contact_loss"])
    assert seconds.min() >= 0.3 - 1 / fps and seconds.max() <= 3.0 and seconds.mean() > 1.0
    ep = next(e for e in eps if e.occluder.kind in clinical.LOOK_ALIKES and e.frames > 20)
    first = clinical.sweep_frame(hard, ep.start, fps, 0.0).occluders
    later = clinical.sweep_frame(hard, ep.start + 20, fps, 0.0).occluders
    a = next(o for o in first if o.shape_seed == ep.occluder.shape_seed)
    b = next(o for o in later if o.shape_seed == ep.occluder.shape_seed)  # the same hand or cord ...
    assert (a.u, a.v, a.angle) != (b.u, b.v, b.angle)  # ... moved
    assert not any(o.shape_seed == ep.occluder.shape_seed
                   for o in clinical.sweep_frame(hard, ep.start + ep.frames, fps, 0.0).occluders)  # then gone


def test_cli_clinical_frames_record_their_difficulty(tmp_path, capsys):
    out = tmp_path / "set"
    assert main(["simulate", "frames", "--out", str(out), "--count", "6", "--seed", "3", "--difficulty",
                 "clinical"]) == 0
    assert json.loads((out / "labels.json").read_text())["generator"]["difficulty"] == "clinical"
    std = tmp_path / "std"
    assert main(["simulate", "frames", "--out", str(std), "--count", "2", "--seed", "3"]) == 0
    assert "difficulty" not in json.loads((std / "labels.json").read_text())["generator"]


@pytest.mark.parametrize("kind", ["frames", "sweep"])
def test_cli_refuses_an_unknown_difficulty_with_one_line(tmp_path, capsys, kind):
    argv = (["frames", "--out", str(tmp_path / "x"), "--count", "3"] if kind == "frames" else
            ["sweep", "--out", str(tmp_path / "x.mp4"), "--seconds", "1"])
    try:
        rc = main(["simulate", *argv, "--difficulty", "hard"])
    except SystemExit as exc:
        rc = exc.code
    err = capsys.readouterr().err
    assert rc == 1 and err.count("\n") == 1 and "hard" in err
    assert list(tmp_path.iterdir()) == []
