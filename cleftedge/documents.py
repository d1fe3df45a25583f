"""Read a JSON or TOML document a user pointed at: one error line when it is missing or not valid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cleftedge import toml
from cleftedge.errors import CleftEdgeError


def read_document(path: str | Path, what: str, expected: str, fix_missing: str, fix_invalid: str,
                  fmt: str | None = None) -> Any:
    """Parsed JSON or TOML (fmt, else by the suffix); `what` names the document in the error line."""
    p = Path(path)
    if not p.is_file():
        raise CleftEdgeError(f"{what} {p} does not exist", expected, fix_missing)
    is_toml = (fmt or p.suffix.lower().lstrip(".")) == "toml"
    try:
        text = p.read_text(encoding="utf-8")
        return toml.loads(text) if is_toml else json.loads(text)
    except (json.JSONDecodeError, toml.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CleftEdgeError(f"{what} {p} is not valid {'TOML' if is_toml else 'JSON'} ({exc})", expected,
                             fix_invalid) from None


def read_json_object(path: str | Path, what: str, expected: str, fix_missing: str, fix_invalid: str) -> dict:
    """The JSON object in `path`, like read_document; a document that is not an object raises CleftEdgeError with
    `expected` and `fix_invalid`."""
    doc = read_document(path, what, expected, fix_missing, fix_invalid)
    if not isinstance(doc, dict):
        raise CleftEdgeError(f"{what} {path} is not a JSON object", expected, fix_invalid)
    return doc
