"""One definition of the manifest's fields (runtime.bundle.manifest.FIELDS): the build host writes
only fields it names, the cart requires the ones it marks required, and docs/formats.md lists them all."""

import json
import re
from pathlib import Path

import pytest

from cleftedge.export.bundle import write_manifest
from cleftedge.runtime.bundle.manifest import FIELDS, MANIFEST, REQUIRED, load_manifest

DOCS = Path(__file__).resolve().parents[3] / "docs" / "formats.md"


def test_a_built_and_signed_bundle_uses_only_defined_fields(built):
    manifest = json.loads((built / "b" / MANIFEST).read_text())
    assert set(manifest) <= set(FIELDS)
    assert set(REQUIRED) <= set(manifest)
    assert load_manifest(built / "b")["files"] == manifest["files"]


def test_a_signed_manifest_names_no_path_of_the_build_host(built):
    # `cleftedge build` kept its model cache beside the bundle (b.cache): the cart has no such folder
    text = (built / "b" / MANIFEST).read_text()
    assert (built / "b.cache").is_dir() and str(built) not in text


def test_the_writer_refuses_a_field_the_table_does_not_define(built, tmp_path):
    manifest = json.loads((built / "b" / MANIFEST).read_text())
    with pytest.raises(ValueError, match="not_a_field"):
        write_manifest(tmp_path, {**manifest, "not_a_field": 1})
    without = {k: v for k, v in manifest.items() if k != "golden"}
    with pytest.raises(ValueError, match="golden"):
        write_manifest(tmp_path, without)
    assert not (tmp_path / MANIFEST).exists()  # nothing half-written
    write_manifest(tmp_path, manifest)
    assert json.loads((tmp_path / MANIFEST).read_text()) == manifest


def test_the_format_page_documents_every_field():
    text = DOCS.read_text()
    table = text[text.index("`manifest.json` (JSON"):text.index("`qa` (the attestation")]
    documented = {name for row in re.findall(r"^\| ([^|]+) \|", table, re.M) for name in re.findall(r"`(\w+)`", row)}
    assert documented == set(FIELDS)
