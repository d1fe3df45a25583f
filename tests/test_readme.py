"""The README's marked command blocks (<!-- readme-test --> before a bash fence) run in order in a
fresh folder, as a new user would type them, so the docs cannot rot."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def marked_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(r"<!-- readme-test -->\s*```bash\n(.*?)```", text, flags=re.S)


def test_readme_has_marked_blocks():
    assert len(marked_blocks()) >= 4


def _qa_writes_schema_2() -> bool:
    from cleftedge.calibration.qa.report_json import SCHEMA

    return SCHEMA >= 2


# intel-cpu requires QA, and a cart refuses an attestation from a schema-1 QA report (issue 11) until
# `cleftedge qa` writes schema 2 (issue 10); from then on this runs as a plain test again
@pytest.mark.xfail(not _qa_writes_schema_2(), strict=True, reason="needs report.json schema 2 (issue 10)")
def test_readme_commands_run(readme_run):
    # run once per session by tests/conftest.py (the release tests in tests/runtime/bundle start from its bundle)
    blocks, results = readme_run["blocks"], readme_run["results"]
    for i, result in enumerate(results):
        assert result.returncode == 0, f"README block {i + 1} failed:\n{blocks[i]}\n{result.stderr[-2000:]}"
    assert len(results) == len(blocks)
    assert (readme_run["dir"] / "bundle.tar.gz").is_file() and (readme_run["dir"] / "session.html").is_file()
