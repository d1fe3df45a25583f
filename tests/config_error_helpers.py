"""Bad config files at the CLI: exit 1, one error line, no traceback (shared by the config tests)."""

from cleftedge.cli import main


def cli_error_line(capsys, argv: list[str]) -> str:
    """Run the CLI in this process; assert it exits 1 with one `cleftedge: error:` line (no traceback, no
    internal error) and return that line."""
    rc = main([str(a) for a in argv])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert rc == 1, err
    assert len(lines) == 1 and lines[0].startswith("cleftedge: error: "), err
    assert "Traceback" not in err and "internal error" not in err
    return lines[0]
