"""The one exception base. The CLI turns it into one line and exit code 1."""


class CleftEdgeError(Exception):
    """A user-facing error: what was wrong, what was expected, how to fix it.

    Raise it for anything a user can cause (bad file, bad flag, wrong model).
    Bugs stay ordinary exceptions.
    """

    def __init__(self, what: str, expected: str | None = None, fix: str | None = None):
        self.what = what
        self.expected = expected
        self.fix = fix
        super().__init__(self.line())

    def line(self) -> str:
        """The error as one line: what was wrong; expected ...; how to fix it."""
        parts = [self.what.rstrip(".")]
        if self.expected:
            parts.append(f"expected {self.expected.rstrip('.')}")
        if self.fix:
            parts.append(self.fix.rstrip("."))
        return "; ".join(parts)
