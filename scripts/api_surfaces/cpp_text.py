"""Small C++ text helpers for reading binding sources: strip comments, resolve the preprocessor
branches that matter, and scan balanced brackets with string literals respected.

Only what the pybind11 / Boost.Python binding files of TensorRT and pycuda need; it is not a C++ parser."""

from __future__ import annotations

import re

OPEN = {"(": ")", "{": "}", "[": "]", "<": ">"}


def strip_comments(text: str) -> str:
    """Remove // and /* */ comments, keeping string and character literals (and line numbers)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = _literal_end(text, i)
            out.append(text[i:j])
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _literal_end(text: str, i: int) -> int:
    quote, j = text[i], i + 1
    if quote == "'" and i > 0 and (text[i - 1].isalnum()):  # digit separator 1'000
        return i + 1
    if quote == '"' and i > 0 and text[i - 1] == "R" and not (i > 1 and (text[i - 2].isalnum() or text[i - 2] == "_")):
        paren = text.index("(", i)  # raw string R"delim( ... )delim"
        delim = text[i + 1:paren]
        return text.index(")" + delim + '"', paren) + len(delim) + 2
    while j < len(text):
        if text[j] == "\\":
            j += 2
            continue
        if text[j] == quote:
            return j + 1
        j += 1
    return j


_DIRECTIVE = re.compile(r"^\s*#\s*(if|ifdef|ifndef|elif|else|endif)\b(.*)$")


def preprocess(text: str, conditions, used: dict[str, bool]) -> str:
    """Keep the lines of the preprocessor branches that are true. `conditions` maps the exact
    condition text of an #if/#elif ("defined(X)" for #ifdef/#ifndef X) to its value, or is a
    function of that text; an unknown condition is an error, so that a new macro in a new release
    is decided, never guessed. `used` collects the conditions met (for the data file's record)."""
    out, stack = [], []  # stack of [parent_active, this_branch_taken, active]
    active = True
    for line in text.split("\n"):
        m = _DIRECTIVE.match(line)
        if not m:
            out.append(line if active else "")
            continue
        kind, cond = m.group(1), m.group(2).strip()
        if kind in ("if", "ifdef", "ifndef"):
            value = _condition(kind, cond, conditions, used) if active else False
            stack.append([active, value, active and value])
        elif kind == "elif":
            parent, taken, _ = stack[-1]
            value = (not taken) and parent and _condition("if", cond, conditions, used)
            stack[-1] = [parent, taken or value, value]
        elif kind == "else":
            parent, taken, _ = stack[-1]
            stack[-1] = [parent, True, parent and not taken]
        else:  # endif
            stack.pop()
        active = stack[-1][2] if stack else True
        out.append("")
    return "\n".join(out)


def _condition(kind: str, cond: str, conditions, used: dict[str, bool]) -> bool:
    key = cond if kind == "if" else f"defined({cond})"
    known = conditions(key) if callable(conditions) else conditions.get(key)
    if known is None:
        raise ValueError(f"unknown preprocessor condition '#{kind} {cond}': decide it in the extractor's table")
    used[key] = known
    return known if kind != "ifndef" else not known


def balanced(text: str, i: int) -> int:
    """Index just past the bracket group that starts at text[i] (one of ( { [ <)."""
    close, depth, j = OPEN[text[i]], 0, i
    opener = text[i]
    while j < len(text):
        c = text[j]
        if c in "\"'":
            j = _literal_end(text, j)
            continue
        if c == opener:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return j + 1
        elif opener == "<" and c in "();{}":  # a '<' that was a comparison, not a template
            raise ValueError(f"unbalanced '<' at offset {i}")
        j += 1
    raise ValueError(f"unbalanced '{opener}' at offset {i}")


def split_args(inner: str) -> list[str]:
    """Split the text inside a bracket group at its top-level commas."""
    args, depth, start, j = [], 0, 0, 0
    while j < len(inner):
        c = inner[j]
        if c in "\"'":
            j = _literal_end(inner, j)
            continue
        if c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
        elif c == "<" and _template_open(inner, j):
            j = balanced(inner, j)
            continue
        elif c == "," and depth == 0:
            args.append(inner[start:j].strip())
            start = j + 1
        j += 1
    tail = inner[start:].strip()
    if tail or args:
        args.append(tail)
    return args


def _template_open(text: str, j: int) -> bool:
    """A '<' directly after an identifier (py::init<...>, std::vector<...>) opens template arguments."""
    k = j - 1
    while k >= 0 and text[k] == " ":
        k -= 1
    if k < 0 or not (text[k].isalnum() or text[k] == "_"):
        return False
    try:
        balanced(text, j)
    except ValueError:
        return False
    return True


def string_literal(arg: str) -> str | None:
    """The value of a plain "..." literal argument, else None."""
    m = re.fullmatch(r'"((?:[^"\\]|\\.)*)"', arg.strip())
    return m.group(1) if m else None


def skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i
