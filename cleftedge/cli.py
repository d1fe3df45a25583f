"""Thin front end: one module per command group in cleftedge/commands/, each with
`register(subparsers)`. A new command is one new file there."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from typing import NoReturn

# FFmpeg inside OpenCV prints decoder chatter on stderr; cleftedge reports problems in one line itself.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")

from cleftedge import __version__
from cleftedge.errors import CleftEdgeError

EPILOG = """examples:
  cleftedge simulate frames --out data/qa --count 2000 --seed 7
  cleftedge export --reference --out model.onnx
  cleftedge inspect model.onnx
  cleftedge <command> --help     (every command has a worked example)
"""


class Formatter(argparse.RawDescriptionHelpFormatter):
    pass


class Parser(argparse.ArgumentParser):
    """A bad flag is a user error like any other: one line and exit code 1 (argparse's default is
    the usage block and exit code 2)."""

    def error(self, message: str) -> NoReturn:
        """A usage error as one line (what was wrong, where the flags are) and exit status 1, not argparse's usage
        block and status 2."""
        print(f"cleftedge: error: {message}; expected the flags in '{self.prog} --help'; see the example there",
              file=sys.stderr)
        raise SystemExit(1)


def build_parser() -> argparse.ArgumentParser:
    """The `cleftedge` parser with one subcommand per module of cleftedge.commands (each module's `register`)."""
    parser = Parser(
        prog="cleftedge",
        description="Edge deployment of a fetal orofacial-cleft classifier: export, calibrate, "
        "build, bundle, verify and run on ultrasound carts.",
        epilog=EPILOG,
        formatter_class=Formatter,
    )
    parser.add_argument("--version", action="version", version=f"cleftedge {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    import cleftedge.commands as commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"cleftedge.commands.{info.name}")
        module.register(sub)
    return parser


def add_command(sub, name: str, help: str, example: str, func) -> argparse.ArgumentParser:
    """Add a subcommand whose --help ends with a worked example."""
    p = sub.add_parser(name, help=help, description=help, epilog="example:\n  " + example.strip(),
                       formatter_class=Formatter)
    p.set_defaults(func=func, _parser=p)
    return p


def add_group(sub, name: str, help: str, description: str, example: str):
    """Add a command group (e.g. `bundle verify|sign|...`); returns the subparsers for its actions."""
    p = sub.add_parser(name, help=help, description=description, epilog="example:\n  " + example.strip(),
                       formatter_class=Formatter)
    p.set_defaults(_parser=p)
    return p.add_subparsers(dest=f"{name}_action", metavar="ACTION")


def main(argv: list[str] | None = None) -> int:
    """Run the command line `argv` (default: sys.argv); returns the exit status. A CleftEdgeError prints its one line
    and returns 1 (with --debug it is raised, traceback and all)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        target = getattr(args, "_parser", parser)
        if args.command is None:
            target.print_help()
            return 0
        print(f"cleftedge: error: '{target.prog}' needs an action; expected one of the actions in "
              f"'{target.prog} --help'; e.g. {target.epilog.splitlines()[-1].strip() if target.epilog else ''}",
              file=sys.stderr)
        return 1
    try:
        rc = args.func(args)
        return int(rc or 0)
    except CleftEdgeError as exc:
        if args.debug:
            raise
        print(f"cleftedge: error: {exc.line()}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (| head): nothing left to say to it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("cleftedge: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not a user error: still one line unless --debug
        if args.debug:
            raise
        print(f"cleftedge: internal error: {type(exc).__name__}: {exc} (rerun with --debug for the "
              "traceback and report it)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
