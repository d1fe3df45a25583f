"""`cleftedge build`: a calibrated model + a device profile -> a bundle (engine, golden frames, manifest)."""

from __future__ import annotations

import argparse
from pathlib import Path

from cleftedge.cli import add_command

EXAMPLE = "cleftedge build --model model.int8.xml --profile intel-cpu --out bundle/ --sign-key keys/site.key.pem"


def register(sub: argparse._SubParsersAction) -> None:
    """Add this command to the CLI's subparsers."""
    p = add_command(sub, "build", "build the engine for a device profile and pack it into a bundle", EXAMPLE, _run)
    p.add_argument("--model", required=True, help="the calibrated model (OpenVINO .xml or QDQ .onnx)")
    p.add_argument("--profile", required=True, help="a profile name (cleftedge profiles list) or a .toml")
    p.add_argument("--out", required=True, help="the new bundle folder")
    p.add_argument("--sign-key", help="sign the bundle with this private key (build host = signing host)")
    p.add_argument("--passphrase-file", metavar="FILE", help="passphrase of an encrypted --sign-key (or set "
                   "$CLEFTEDGE_KEY_PASSPHRASE)")
    p.add_argument("--release", type=int, default=1, help="this bundle's release number for its model, higher for "
                   "every new bundle: a cart refuses a release older than the newest it has run (default 1)")
    p.add_argument("--pack", action="store_true", help="also write <out>.tar.gz for shipping")
    p.add_argument("--cache-dir", help="timing/model cache folder, kept beside the bundle and outside it so that "
                   "the bundle's hashes hold (default OUT.cache)")


def _run(args: argparse.Namespace) -> int:
    from cleftedge.device_profiles import load_profile
    from cleftedge.export.bundle.build import build_bundle
    from cleftedge.export.bundle.pack import pack

    profile = load_profile(args.profile)
    out = Path(args.out)
    cache = Path(args.cache_dir) if args.cache_dir else out.with_name(out.name + ".cache")
    folder = build_bundle(args.model, profile, args.out, cache, release=args.release)
    print(f"built {folder} for {profile.name} ({profile.backend} on {profile.device}), release {args.release}")
    if args.sign_key:
        from cleftedge.export.bundle.sign import sign_folder

        print(f"signed with key {sign_folder(folder, args.sign_key, args.passphrase_file)}")
    if args.pack:
        archive = pack(folder, folder.with_name(folder.name + ".tar.gz"))
        print(f"packed {archive}")
    return 0
