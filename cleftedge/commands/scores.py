"""`cleftedge scores sign|verify`: sign saved reference scores on the signing host, as a bundle is
signed, so that a cart's QA can trust them (the private key never goes where QA runs)."""

from __future__ import annotations

from cleftedge.cli import add_command, add_group


def register(sub) -> None:
    """Add `cleftedge scores` and its flags to the CLI's subparsers (`sub`)."""
    group = add_group(sub, "scores", "sign and verify saved reference scores",
                      "Reference scores saved by 'cleftedge qa --save-reference-scores' are signed on the signing "
                      "host (an ed25519 signature inside the file); 'qa --reference-scores' checks it against the "
                      "trust store, by the same rules as bundles.",
                      "cleftedge scores sign ref-scores.json --key keys/scores-signing.key.pem")
    s = add_command(group, "sign", "sign a reference-scores file with an ed25519 private key of role 'scores'",
                    "cleftedge keys generate --out keys/ --name scores-signing --role scores\n"
                    "  cleftedge scores sign ref-scores.json --key keys/scores-signing.key.pem", _sign)
    s.add_argument("file", help="the reference-scores JSON (signed in place unless --out)")
    s.add_argument("--key", required=True, help="the private key (.key.pem) of a 'scores' key "
                   "('cleftedge keys generate --role scores')")
    s.add_argument("--passphrase-file", metavar="FILE", help="passphrase of an encrypted key (or set "
                   "$CLEFTEDGE_KEY_PASSPHRASE)")
    s.add_argument("--out", help="write the signed file here instead")
    v = add_command(group, "verify", "check a reference-scores file's signature against the trust store",
                    "cleftedge scores verify ref-scores.json --trust-store /etc/cleftedge/trust", _verify)
    v.add_argument("file", help="the reference-scores JSON")
    v.add_argument("--trust-store", help="folder of trusted public keys (default $CLEFTEDGE_TRUST_STORE or "
                   "/etc/cleftedge/trust)")


def _sign(args) -> int:
    from cleftedge.calibration.qa.refscores import sign_scores_file

    key, warnings = sign_scores_file(args.file, args.key, args.out, args.passphrase_file)
    for line in warnings:
        print(f"warning: {line}")
    print(f"signed {args.out or args.file} with key {key}")
    return 0


def _verify(args) -> int:
    from pathlib import Path

    from cleftedge.calibration.qa.refscores import check_signature, read_scores_document

    found = check_signature(read_scores_document(args.file), Path(args.file), args.trust_store)
    print(f"{args.file}: signed by trusted key {found['key_id']} ({found['trust_store']})")
    return 0
