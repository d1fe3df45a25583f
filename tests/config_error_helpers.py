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


def refused(capsys, load, path, text: str, words: list[str], argv: list) -> str:
    """Write `text` to `path`; assert `load(path)` refuses it with one line naming the file and holding every
    one of `words`, and that the CLI (`argv` + the path) exits 1 with that same line. Returns the line."""
    import pytest

    from cleftedge.errors import CleftEdgeError

    path.write_text(text)
    with pytest.raises(CleftEdgeError) as exc:
        load(path)
    line = exc.value.line()
    assert str(path) in line and "\n" not in line and all(w in line for w in words), line
    assert cli_error_line(capsys, [*argv, path]) == f"cleftedge: error: {line}"
    return line
