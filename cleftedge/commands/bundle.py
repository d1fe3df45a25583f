"""`cleftedge bundle attach-qa|sign|verify|inspect|pack`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cleftedge.cli import add_command, add_group
from cleftedge.errors import CleftEdgeError


def register(sub: argparse._SubParsersAction) -> None:
    """Add this command to the CLI's subparsers."""
    k = add_group(sub, "bundle", "attach QA, sign, verify, inspect and pack bundles",
                  "Bundles: engine + manifest + golden frames. Order: build, attach-qa, sign "
                  "(attaching QA changes the manifest, so it drops an older signature), pack, verify on the cart.",
                  "cleftedge bundle verify bundle/ --trust-store /etc/cleftedge/trust")
    a = add_command(k, "attach-qa", "bind a passing QA report run on this bundle's engine",
                    "cleftedge bundle attach-qa bundle/ qa-report/", _attach)
    a.add_argument("bundle")
    a.add_argument("report_dir")
    s = add_command(k, "sign", "sign the manifest with an ed25519 private key",
                    "cleftedge bundle sign bundle/ --key keys/cleftedge-signing.key.pem", _sign)
    s.add_argument("bundle")
    s.add_argument("--key", required=True, help="the private key (.key.pem) of a 'bundle' key")
    s.add_argument("--passphrase-file", metavar="FILE", help="passphrase of an encrypted key (or set "
                   "$CLEFTEDGE_KEY_PASSPHRASE)")
    v = add_command(k, "verify", "check hashes, signature, this machine, QA and the known answers",
                    "cleftedge bundle verify bundle.tar.gz --trust-store /etc/cleftedge/trust", _verify)
    v.add_argument("bundle", help="a bundle folder or .tar.gz")
    v.add_argument("--trust-store", help="folder of trusted public keys (default $CLEFTEDGE_TRUST_STORE or "
                   "/etc/cleftedge/trust)")
    v.add_argument("--allow-unsigned", action="store_true", help="accept a bundle that carries no signature at all "
                   "(development only; a signature that is present is always checked)")
    v.add_argument("--allow-rollback", action="store_true", help="accept a release older than the newest this cart "
                   "has run")
    v.add_argument("--json", action="store_true")
    i = add_command(k, "inspect", "show the manifest, readable", "cleftedge bundle inspect bundle/ --json", _inspect)
    i.add_argument("bundle")
    i.add_argument("--json", action="store_true")
    pk = add_command(k, "pack", "write a .tar.gz of the bundle for shipping",
                  "cleftedge bundle pack bundle/ --out bundle.tar.gz", _pack)
    pk.add_argument("bundle")
    pk.add_argument("--out", help="archive path (default BUNDLE.tar.gz)")


def _folder(path: str) -> Path:
    p = Path(path)
    if not (p / "manifest.json").is_file():
        raise CleftEdgeError(f"{p} is not a bundle folder", "a folder with manifest.json (made by cleftedge build)",
                             "check BUNDLE")
    return p


def _sign(args: argparse.Namespace) -> int:
    from cleftedge.export.bundle.sign import sign_folder

    print(f"signed {args.bundle} with key {sign_folder(_folder(args.bundle), args.key, args.passphrase_file)}")
    return 0


def _attach(args: argparse.Namespace) -> int:
    from cleftedge.export.bundle.attest import attach_qa

    folder = _folder(args.bundle)
    line, dropped = attach_qa(folder, Path(args.report_dir))
    print(f"attached QA ({line}) to {folder}" +
          ("; the old signature no longer matches and was removed: sign again" if dropped else "; now sign it"))
    return 0


def _verify(args: argparse.Namespace) -> int:
    from cleftedge.runtime.bundle import opened
    from cleftedge.runtime.bundle.verify import verify_folder

    with opened(args.bundle) as folder:
        v = verify_folder(folder, args.trust_store, args.allow_unsigned, allow_rollback=args.allow_rollback)
    if args.json:
        print(json.dumps({"ok": v.ok, "checks": [c.__dict__ for c in v.checks]}, indent=2))
    else:
        for c in v.checks:
            mark = "WARN" if c.warning else ("ok  " if c.ok else "FAIL")
            print(f"{mark}  {c.name:<14} {c.line}")
    if not v.ok:
        first = next(c for c in v.checks if not c.ok)
        raise CleftEdgeError(f"bundle {args.bundle} failed verification: {first.line}",
                             "every check passing", "do not run this bundle; rebuild, re-sign or fix the cart")
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from cleftedge.runtime.bundle import opened
    from cleftedge.runtime.bundle.manifest import load_manifest

    with opened(args.bundle) as folder:
        m = load_manifest(folder)
    if args.json:
        print(json.dumps(m, indent=2))
        return 0
    for line in inspect_lines(m):
        print(line)
    return 0


def inspect_lines(m: dict) -> list[str]:
    """`bundle inspect`, readable: what the bundle is, how it was built and QA'd, and the toolkit
    versions it was built and QA'd with beside this machine's own."""
    from cleftedge import __version__
    from cleftedge.runtime.bundle.attestation import policy_text
    from cleftedge.runtime.bundle.machine import toolkit_versions
    from cleftedge.runtime.bundle.releases import release_of

    qa = m.get("qa") or {}
    lines = [f"{m['model']['name']} v{m['model']['version']}, release {release_of(m)}  ({m['created']}, "
             f"manifest schema {m['schema']})",
             f"  profile   {m['profile']['name']}: {m['backend']} on {m['device']}, {m['precision']}",
             f"  engine    {m['engine']['path']}  sha256 {m['engine']['sha256'][:16]}...",
             "  target    " + (", ".join(f"{k} {v}" for k, v in m["target"].items()) or "-"),
             "  platform  " + (", ".join(f"{k} {v}" for k, v in (m.get("platform") or {}).items()) or "not recorded"),
             f"  source    {m['source'].get('model')} sha256 {str(m['source'].get('model_sha256'))[:16]}...; "
             f"calibration data {str(m['source'].get('calibration_data_sha256'))[:16]}"]
    here = {**toolkit_versions(), "cleftedge": __version__}
    qa_tools = qa.get("toolkit") or {}
    lines.append("  toolkit   (built / QA'd / this machine)")
    for name in sorted((set(m["toolkit"]) | set(qa_tools)) - {"python", "numpy"}):
        versions = (m["toolkit"].get(name), qa_tools.get(name), here.get(name))
        lines.append(f"    {name:<12} " + " / ".join(str(v or "-") for v in versions))
    if not qa:
        lines.append("  QA        none attached")
    else:
        lines.append(f"  QA        {qa.get('line')}")
        lines.append(f"  policy    {policy_text(qa)}")
        lines.append(f"  evidence  {_evidence_text(qa)}")
    lines.append(f"  golden    {len(m['golden']['frames'])} frames, tolerance {m['golden']['tolerance']}")
    lines.append(f"  files     {len(m['files'])}")
    return lines


def _pack(args: argparse.Namespace) -> int:
    from cleftedge.export.bundle.pack import pack

    folder = _folder(args.bundle)
    out = Path(args.out) if args.out else folder.with_name(folder.name + ".tar.gz")
    print(f"packed {pack(folder, out)}")
    return 0


def _evidence_text(qa: dict) -> str:
    evidence = qa.get("evidence") or {}
    used = qa.get("allowances")
    allowances = ", ".join(used) if used else ("none" if used == [] else "not recorded")
    return (f"data {str(qa.get('data_sha256'))[:16]}..., reference {str(qa.get('reference_sha256'))[:16]}..., "
            f"precision {qa.get('inference_precision')}, {'PROXY' if qa.get('proxy') else 'not a proxy'}, clusters "
            f"{evidence.get('positive_clusters', '?')}+/{evidence.get('negative_clusters', '?')}-, QA runs on this "
            f"data {qa.get('runs_on_this_data') or '?'}, --allow-* used: {allowances}")
