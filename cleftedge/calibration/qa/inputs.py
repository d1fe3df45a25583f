"""What `cleftedge qa` checks about its inputs before anything is scored: a consistent set of
options, data sets that exist and hold each file once, and the locked data hash."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from cleftedge.errors import CleftEdgeError

if TYPE_CHECKING:
    from cleftedge.calibration.dataset_records import Dataset
    from cleftedge.calibration.qa.request import QaRequest
    from cleftedge.spec import ModelSpec

HASH = re.compile(r"[0-9a-f]{64}")


def _bad_flags(what: str, fix: str) -> CleftEdgeError:
    return CleftEdgeError(what, "a consistent set of qa options (see cleftedge qa --help)", fix)


def check_request(req: QaRequest) -> None:
    """Refuse, in one line each, options that do not go together (or a missing --reference model)."""
    if req.reference_scores and req.save_reference_scores:
        raise _bad_flags("--reference-scores and --save-reference-scores were both given", "give one of them")
    if req.candidate is None and not req.save_reference_scores:
        raise _bad_flags("no --candidate was given", "give --candidate, or --save-reference-scores FILE alone")
    if req.candidate is not None and req.report is None:
        raise _bad_flags("no --report folder was given", "add --report OUT/")
    if req.retune_threshold and not req.val_data:
        raise _bad_flags("--retune-threshold needs a validation set", "add --val-data DIR (never the QA set)")
    if req.retune_threshold and req.reference_scores:
        raise _bad_flags("--retune-threshold needs the reference model to score the validation set",
                         "run it on the build host without --reference-scores")
    if getattr(req, "by_site", False) and getattr(req, "ray", None) is None:
        raise _bad_flags("--by-site needs --ray", "add --ray [ADDRESS], or drop --by-site")
    if getattr(req, "cache", None) is not None and getattr(req, "ray", None) is not None:
        raise _bad_flags("--cache and --ray were both given", "give one of them (the tensor cache is read on "
                         "this machine)")
    if not Path(req.reference).is_file():
        raise CleftEdgeError(f"reference model {req.reference} does not exist", "the FP32 ONNX model",
                             "check --reference")


def open_role(path: Path | str, role: str) -> Dataset:
    """A data set for one role (QA set, validation set), local or at a URI pyarrow reads (s3://...), or
    one line saying it does not exist."""
    from cleftedge.calibration.data_store import open_location, shown
    from cleftedge.calibration.datasets import open_dataset

    store, where = open_location(path)
    if not store.exists(where):
        raise CleftEdgeError(f"{role} {shown(path)} does not exist", "a data-set folder, manifest CSV or video",
                             f"check the path given for the {role}")
    return open_dataset(path)


def open_qa_set(path: Path | str) -> Dataset:
    """The locked QA set; refused when it holds one file twice (copies under new names)."""
    from cleftedge.calibration.leakage import check_duplicates

    role = "QA set (--data)"
    dataset = open_role(path, role)
    check_duplicates(dataset, role)
    return dataset


def check_data_hash(expected: str | None, found: str, where: Path | str) -> None:
    """--expect-data-hash: the full 64-hex-digit content hash, and the set must have it."""
    if not expected:
        return
    want = expected.strip().lower()
    if not HASH.fullmatch(want):
        prefix = " (it is a prefix of this set's hash)" if found.startswith(want) and want else ""
        raise CleftEdgeError(f"--expect-data-hash {expected!r} is not a full SHA-256{prefix}",
                             "the full 64-hex-digit content hash the set was locked with",
                             "copy the whole hash from the report that locked the set (data.content_hash)")
    if want != found:
        from cleftedge.calibration.data_store import shown

        raise CleftEdgeError(f"the QA set {shown(where)} has content hash {found}", f"the locked hash {want}",
                             "use the locked QA set; a changed set needs a new sign-off")


def size(dataset: Dataset) -> int | None:
    """The data set's frame count, None when it cannot tell without reading (for the progress bar)."""
    try:
        return len(dataset)
    except TypeError:
        return None


def load_spec_file(path: Path | None) -> ModelSpec | None:
    """The spec file at `path` loaded and checked; None without one."""
    if path is None:
        return None
    from cleftedge.spec import load_spec

    return load_spec(path)
