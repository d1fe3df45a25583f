"""The model flags that `run` and `bench` share (--model, --backend, --device, --spec, the bundle's
trust flags and the budget), and opening the model they name."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from cleftedge.targets import names

if TYPE_CHECKING:  # the parsers are built on every command line; the model is loaded only when opened
    from cleftedge.runtime.model import Model


def add_model_args(p: argparse.ArgumentParser) -> None:
    """Add the model and budget flags to a command's parser."""
    p.add_argument("--model", required=True, help="ONNX, OpenVINO IR (.xml), TensorRT plan or bundle")
    p.add_argument("--backend", choices=names(), help="default: from the model")
    p.add_argument("--device", default="CPU", help="CPU, GPU, NPU or AUTO (OpenVINO); GPU index for TensorRT")
    p.add_argument("--spec", help="spec TOML for a bare TensorRT plan")
    p.add_argument("--trust-store", help="trusted public keys for bundles (default: CLEFTEDGE_TRUST_STORE)")
    p.add_argument("--allow-unsigned", action="store_true", help="accept a bundle with no signature at all "
                   "(development only; a signature that is present is always checked)")
    p.add_argument("--allow-rollback", action="store_true", help="run a bundle release older than the newest this "
                   "cart has run (recorded in the events)")
    p.add_argument("--fps", type=float, default=30.0, help="budget frame rate (default 30)")
    p.add_argument("--budget-ms", type=float, default=50.0, help="end-to-end budget per frame (default 50 ms)")


def open_model(args: argparse.Namespace, steady: bool = True, **options: Any) -> Model:
    """Model.open as the model flags say; `options` go to the backend (bench: hint, batch, streams)."""
    from cleftedge.runtime.model import Model

    opts: dict[str, Any] = {"steady": steady, **options}
    if args.trust_store:
        opts["trust_store"] = args.trust_store
    if args.allow_unsigned:
        opts["allow_unsigned"] = True
    if getattr(args, "allow_rollback", False):
        opts["allow_rollback"] = True
    return Model.open(args.model, backend=args.backend, device=args.device, spec=args.spec, **opts)
