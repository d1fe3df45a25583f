import subprocess
import sys

from cleftedge import __version__
from cleftedge.cli import build_parser, main


def test_version(capsys):
    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert __version__ in capsys.readouterr().out


def test_every_subcommand_has_help_with_example():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, p in sub.choices.items():
        text = p.format_help()
        assert "example" in text, f"{name} --help has no example"
        nested = [a for a in p._actions if a.__class__.__name__ == "_SubParsersAction"]
        for group in nested:
            for child_name, child in group.choices.items():
                assert "example" in child.format_help(), f"{name} {child_name} --help has no example"


def test_console_script_runs():
    out = subprocess.run([sys.executable, "-m", "cleftedge", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    assert "cleftedge" in out.stdout


def test_bad_flags_and_missing_actions_are_one_line_and_exit_1():
    for argv in (["run", "--bogus"], ["bundle"], ["simulate", "frames", "--count", "x", "--out", "o"]):
        out = subprocess.run([sys.executable, "-m", "cleftedge", *argv], capture_output=True, text=True)
        assert out.returncode == 1, argv
        assert out.stderr.startswith("cleftedge: error:") and out.stderr.count("\n") == 1, out.stderr
