"""cleftedge qa: the accuracy-parity gate between the FP32 reference and a candidate engine."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cleftedge.calibration.data_store import data_location
from cleftedge.cli import add_command
from cleftedge.targets import names

EXAMPLE = """cleftedge qa --reference model.onnx --candidate model.int8.xml --data data/qa --report qa-out/
  (exit 0 on pass, 1 on fail; a policy file: --policy policy.toml; on a cart without onnxruntime:
   build host: cleftedge qa --reference model.onnx --data data/qa --save-reference-scores ref-scores.json
   cart:       cleftedge qa --reference model.onnx --reference-scores ref-scores.json \\
                 --candidate bundle/ --data data/qa --expect-data-hash HASH --report qa-out/)"""


def register(sub) -> None:
    """Add `cleftedge qa` and its flags to the CLI's subparsers (`sub`)."""
    p = add_command(sub, "qa", "Judge a quantized candidate against the FP32 reference on a locked QA set "
                    "(figures with confidence intervals, flips, per-site/label/case tables, pass/fail gate, "
                    "JSON+HTML report)",
                    EXAMPLE, _run)
    p.add_argument("--reference", required=True, type=Path, help="the FP32 ONNX model (runs on onnxruntime FP32)")
    p.add_argument("--candidate", type=Path, help="the model or bundle to judge (.onnx, OpenVINO .xml, bundle)")
    p.add_argument("--data", required=True, type=data_location, help="the locked QA set (judges only, never "
                   "tunes): a folder, a manifest CSV, or a URI pyarrow reads (s3://bucket/prefix, file://...; "
                   "docs/qa.md)")
    p.add_argument("--policy", type=Path, help="policy TOML (default: -2.0 pp sens/spec bounds, AUC drop 0.01, "
                   "agreement 98 %%; see docs/qa.md)")
    p.add_argument("--report", type=Path, help="output folder for report.json and report.html")
    p.add_argument("--save-reference-scores", type=Path, metavar="FILE",
                   help="write the reference's scores, bound to the model's and data set's hashes")
    p.add_argument("--reference-scores", type=Path, metavar="FILE",
                   help="use saved reference scores instead of running the reference (hashes must match)")
    p.add_argument("--expect-data-hash", metavar="H", help="refuse a QA set whose content hash is not H")
    p.add_argument("--sweeps", type=Path, metavar="DIR",
                   help="labelled sweeps (video + <stem>.labels.csv): compare alert timelines")
    p.add_argument("--alerts", type=Path, metavar="FILE",
                   help="with --sweeps: the alert policy to compare under (default: the built-in); a policy from "
                   "tune-alerts refuses the sweeps it was tuned on (by content)")
    p.add_argument("--val-data", type=data_location, metavar="DIR", help="validation set, for --retune-threshold")
    p.add_argument("--retune-threshold", action="store_true",
                   help="find on --val-data the candidate threshold restoring the reference sensitivity")
    p.add_argument("--allow-overlap", action="store_true",
                   help="do not refuse a QA set sharing files or cases with the calibration or validation set "
                   "(recorded in the report and the attestation)")
    p.add_argument("--allow-different-source", action="store_true",
                   help="judge a candidate calibrated from another ONNX or with another spec (recorded)")
    p.add_argument("--allow-unsigned-scores", action="store_true",
                   help="use --reference-scores that nobody signed (recorded)")
    p.add_argument("--trust-store", type=Path, metavar="DIR",
                   help="trusted public keys for signed reference scores (default $CLEFTEDGE_TRUST_STORE or "
                   "/etc/cleftedge/trust)")
    p.add_argument("--ledger", type=Path, metavar="DIR",
                   help="where QA runs on each locked set are counted (default $CLEFTEDGE_QA_LEDGER or "
                   "~/.local/share/cleftedge/qa-ledger)")
    p.add_argument("--backend", choices=names(),
                   help="the candidate's backend (default: what the candidate was made for)")
    p.add_argument("--device", default="CPU", help="the candidate's device (default CPU; a GPU or NPU bundle judged "
                   "on the CPU is a PROXY)")
    p.add_argument("--inference-precision", choices=("f32", "bf16", "f16"),
                   help="OpenVINO candidate (not a bundle, which runs in the precision it pinned): the precision of "
                   "its float layers (default f32 on the CPU, what CPU profiles pin)")
    p.add_argument("--spec", type=Path, help="spec TOML/JSON for a candidate that carries none (a bare plan)")
    p.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                   help="score on a Ray cluster (pip install 'cleftedge[ray]'): ADDRESS is 'auto', ray://HOST:10001 "
                   "or HOST:6379; alone, a local cluster on this machine (docs/qa.md)")
    p.add_argument("--by-site", action="store_true",
                   help="with --ray: each site's frames a shard; frames a failed shard lost make the verdict "
                   "INCONCLUSIVE, naming them")
    p.add_argument("--cache", type=Path, metavar="DIR",
                   help="verified tensor cache of the locked set: written on the first run, read (and checked) on "
                   "later runs, which skip decoding and preprocessing; a cache that does not match is refused")
    p.add_argument("--json", action="store_true", help="print the verdict and figures as JSON on stdout")


def _run(args) -> int:
    from cleftedge.calibration.qa.report_json import summary_table
    from cleftedge.calibration.qa.request import QaRequest
    from cleftedge.calibration.qa.run import run_qa

    req = QaRequest(reference=args.reference, data=args.data, candidate=args.candidate, report=args.report,
                    policy=args.policy, save_reference_scores=args.save_reference_scores,
                    reference_scores=args.reference_scores, expect_data_hash=args.expect_data_hash,
                    sweeps=args.sweeps, alerts=args.alerts, val_data=args.val_data,
                    retune_threshold=args.retune_threshold,
                    allow_overlap=args.allow_overlap, allow_different_source=args.allow_different_source,
                    allow_unsigned_scores=args.allow_unsigned_scores, trust_store=args.trust_store,
                    ledger=args.ledger, backend=args.backend, device=args.device,
                    inference_precision=args.inference_precision, spec=args.spec,
                    progress=False if args.json else None, ray=args.ray, by_site=args.by_site,
                    cache=args.cache)
    outcome = run_qa(req)
    if args.json:
        r = outcome.report or {}
        doc = {"passed": outcome.exit_code == 0, "line": outcome.line, "report": str(args.report) if r else None}
        for key in ("verdict", "evidence", "figures", "flips", "score_difference", "retuned_threshold", "alerts",
                    "warnings", "allowances", "lineage", "ledger"):
            if key in r:
                doc[key] = r[key]
        if "flips" in doc:
            doc["flips"] = {k: v for k, v in doc["flips"].items() if k != "frames"}
        print(json.dumps(doc, indent=1))
    else:
        if outcome.report:
            print(summary_table(outcome.report))
            for warning in outcome.report.get("warnings", []):
                print(f"warning: {warning}")
            retuned = outcome.report.get("retuned_threshold")
            if retuned:
                print(f"retune: {retuned['action']}")
            print(f"report: {args.report}/report.html, {args.report}/report.json")
        if not outcome.exit_code:
            print(outcome.line)
    if outcome.exit_code and outcome.report and not args.json:  # build host: what to try next
        from cleftedge.calibration.next_steps import next_steps

        tips = next_steps(args.candidate)
        if tips:
            print("what to try next:\n" + "\n".join(f"  - {t}" for t in tips))
    if outcome.exit_code:  # the failing criterion, in one line, where scripts and people look for errors
        print(f"cleftedge: {outcome.line}", file=sys.stderr)
    return outcome.exit_code
