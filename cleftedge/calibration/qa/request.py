"""What `cleftedge qa` is asked (QaRequest), what it has checked and opened before scoring
(QaContext) and what it ends with (QaOutcome): plain data shared by the local run, the Ray run and
the input checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cleftedge.calibration.qa.policy import Policy

if TYPE_CHECKING:  # types only: the cart flow imports none of these for the annotations
    from cleftedge.calibration.dataset_records import Dataset
    from cleftedge.calibration.qa.candidate import CandidatePlan
    from cleftedge.calibration.qa.refscores import ReferenceScores
    from cleftedge.runtime.alerts import AlertConfig
    from cleftedge.runtime.model import Model
    from cleftedge.spec import ModelSpec

ALLOWANCES = ("allow_different_source", "allow_overlap", "allow_unsigned_scores")


@dataclass
class QaRequest:
    """The options of one `cleftedge qa` run, as the CLI parsed them."""

    reference: Path
    data: Path | str  # a local path, or a URI pyarrow's filesystems read (s3://..., file://...)
    candidate: Path | None = None
    report: Path | None = None
    policy: Path | None = None
    save_reference_scores: Path | None = None
    reference_scores: Path | None = None
    expect_data_hash: str | None = None
    sweeps: Path | None = None
    alerts: Path | None = None  # the alert policy alert parity judges (default: the built-in)
    val_data: Path | str | None = None
    retune_threshold: bool = False
    allow_overlap: bool = False
    allow_different_source: bool = False
    allow_unsigned_scores: bool = False
    trust_store: Path | None = None
    ledger: Path | None = None
    backend: str | None = None
    device: str = "CPU"
    inference_precision: str | None = None
    spec: Path | None = None
    progress: bool | None = None
    ray: str | None = None  # score on a Ray cluster: its address ("auto", "ray://..."), or "local"
    by_site: bool = False  # with ray: each site's frames a shard of their own
    cache: Path | None = None  # the verified tensor cache of the locked set

    def allowances(self) -> list[str]:
        """The --allow-* options given, as their names with underscores (sorted)."""
        return sorted(name for name in ALLOWANCES if getattr(self, name))


@dataclass
class QaContext:
    """Everything checked and opened before a frame is scored."""

    policy: Policy
    qa_set: Dataset
    data_hash: str
    val_set: Dataset | None
    ref_sha: str
    saved: ReferenceScores | None  # the signed reference scores, or None
    plan: CandidatePlan | None  # None: only saving reference scores (no --candidate)
    ref_model: Model | None  # None: the reference scores come from `saved`
    cand_model: Model | None  # None: only saving reference scores
    ref_t: float
    cand_t: float
    checks: dict[str, Any] | None  # record, lineage, data_roles, proxy (None without a candidate)
    spec: ModelSpec | None = None  # --spec, loaded
    alert_policy: AlertConfig | None = None  # the policy file judged on --sweeps (checked against its tuning record)

    def model_args(self, req: QaRequest) -> dict[str, Any]:
        """How to open the same two models elsewhere (a Ray actor): `open_qa_models(**args)`."""
        return {"reference": req.reference if self.saved is None else None, "candidate": req.candidate,
                "plan": self.plan, "device": req.device, "spec": self.spec,
                "inference_precision": req.inference_precision}


@dataclass
class QaOutcome:
    """The exit code, the one verdict line and the report of a run."""

    exit_code: int
    line: str
    report: dict[str, Any] | None = None
