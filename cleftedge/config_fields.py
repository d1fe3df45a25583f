"""One way to check a config table: a spec, a device profile, a QA policy, an alert policy.

Each config declares its keys once, as a table of `Field` rows (name, type, range or choices, what it
is for); `read_table` checks a parsed TOML/JSON table against it and every refusal is one line of
the same shape, naming the file, the key path, the value and what was expected:

    profile mine.toml: 'tensorrt.dla' is 'yes' (wrong type: a string); expected true or false; fix ...
    spec s.toml: unknown key 'input.hieght' (did you mean 'input.height'?); expected one of name, ...

Defaults live in the config's own dataclass (the value type); rules that tie two keys together stay
beside the parser that needs them. Pure Python, nothing to install: it runs on the cart.
"""

from __future__ import annotations

import difflib
import math
import numbers
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cleftedge.errors import CleftEdgeError

Kind = type | tuple[type, ...]

_TYPE_WORDS: dict[type, str] = {int: "an integer", float: "a number", str: "a string", bool: "true or false",
                                list: "a list", dict: "a table", type(None): "empty (null)"}
_ITEM_WORDS: dict[type, str] = {int: "integers", float: "numbers", str: "strings", bool: "true/false values"}
_FOUND_WORDS: dict[type, str] = {**_TYPE_WORDS, bool: "a boolean"}  # what a value was, in the error line


@dataclass(frozen=True)
class Field:
    """One key of a config table. `low`/`high` bound a number (or each number of a list), `choices` and
    `pattern` (a regular expression searched in the string) restrict a value, `items` is a list's element
    type; `expected` replaces the generated words for the allowed values; `help` says what the key is for
    (the CLI flags built from a table use it)."""

    name: str
    kind: Kind
    required: bool = False
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # the low end itself is not allowed
    high_open: bool = False
    choices: tuple[Any, ...] = ()
    pattern: str = ""
    items: Kind | None = None
    expected: str = ""
    help: str = ""

    def words(self) -> str:
        """The allowed values in words, for the error line."""
        if self.expected:
            return self.expected
        if self.choices:
            return "one of " + ", ".join(str(c) for c in self.choices)
        kinds = tuple(k for k in _kinds(self.kind) if not (k is int and float in _kinds(self.kind)))
        if self.items is not None and list in kinds:
            item_kinds = _kinds(self.items)
            items = " or ".join(_ITEM_WORDS.get(k, k.__name__) for k in item_kinds
                                if not (k is int and float in item_kinds))
            scalars = [_TYPE_WORDS.get(k, k.__name__) for k in kinds if k is not list]
            base = " or ".join([*scalars, f"a list of {items}"])
        else:
            base = " or ".join(_TYPE_WORDS.get(k, k.__name__) for k in kinds)
        return f"{base} {self._range_words()}".rstrip()

    def _range_words(self) -> str:
        low, high = _number(self.low), _number(self.high)
        if self.low is not None and self.high is not None:
            if self.low_open or self.high_open:
                start, end = ("above" if self.low_open else "from"), ("below" if self.high_open else "up to")
                return f"{start} {low} and {end} {high}"
            return f"from {low} to {high}"
        if self.low is not None:
            return f"above {low}" if self.low_open else f"of {low} or more"
        if self.high is not None:
            return f"below {high}" if self.high_open else f"of {high} or less"
        return ""


@dataclass(frozen=True)
class ConfigFile:
    """Where a table comes from, for the error line: `label` names the file ("profile mine.toml"), `fix`
    says how to mend a bad value and `docs` is the page that lists the keys."""

    label: str
    fix: str
    docs: str

    def bad(self, key: str, value: Any, expected: str) -> CleftEdgeError:
        """`<label>: 'key' is <value>; expected <expected>; <fix>`."""
        return CleftEdgeError(f"{self.label}: '{key}' is {_shown(value)}", expected, self.fix)

    def wrong_type(self, key: str, value: Any, expected: str) -> CleftEdgeError:
        """Like `bad`, and says which type the value was (a table where a number belongs, ...)."""
        return CleftEdgeError(f"{self.label}: '{key}' is {_shown(value)} (wrong type: {_type_word(value)})",
                              expected, self.fix)

    def missing(self, key: str, expected: str) -> CleftEdgeError:
        """`<label>: missing 'key'; expected <what it holds>; add it`."""
        return CleftEdgeError(f"{self.label}: missing '{key}' (a required key)", expected,
                              f"add it (keys: {self.docs})")

    def unknown(self, key: str, value: Any, allowed: Sequence[str]) -> CleftEdgeError:
        """An unknown key (or table), with the nearest valid key suggested."""
        *parent, last = key.split(".")
        near = difflib.get_close_matches(last, list(allowed), n=1, cutoff=0.6)
        hint = f" (did you mean '{'.'.join([*parent, near[0]])}'?)" if near else ""
        what = "table" if isinstance(value, dict) else "key"
        where = f" of [{'.'.join(parent)}]" if parent else ""
        return CleftEdgeError(f"{self.label}: unknown {what} '{key}'{hint}",
                              f"one of the keys{where}: " + ", ".join(allowed),
                              f"remove or rename it (keys: {self.docs})")


def read_table(fields: Sequence[Field], data: Any, where: ConfigFile, path: str = "",
               ignore: Iterable[str] = ()) -> dict[str, Any]:
    """The checked values of one table (`path` is its key path, "" the top level), in the file's order and
    with ints turned into floats where a float is expected; only the keys given (the config's defaults
    fill the rest). Unknown keys (except `ignore`), missing required keys and bad values are refused."""
    if not isinstance(data, dict):
        if path:
            raise where.wrong_type(path, data, f"a table of {', '.join(f.name for f in fields)}")
        raise CleftEdgeError(f"{where.label}: the file holds {_type_word(data)}", "a table of keys", where.fix)
    by_name = {f.name: f for f in fields}
    skip = set(ignore)
    for key, value in data.items():
        if key not in by_name and key not in skip:
            raise where.unknown(_join(path, key), value, list(by_name))
    for f in fields:
        if f.required and f.name not in data:
            raise where.missing(_join(path, f.name), f.words())
    return {key: check_value(by_name[key], value, where, _join(path, key))
            for key, value in data.items() if key in by_name}


def check_value(field: Field, value: Any, where: ConfigFile, key: str) -> Any:
    """One value checked against its field (`key` is its full path for the error line): its type, then its
    range, choices, pattern and list items. Returns it with an int turned into a float where only a float is
    expected (in a list too)."""
    kinds = _kinds(field.kind)
    typed = _typed(value, kinds)
    if isinstance(value, float) and not math.isfinite(value):
        raise where.bad(key, value, field.words() + " (finite: not nan or inf)")
    if typed is _WRONG:
        raise where.wrong_type(key, value, field.words())
    if isinstance(typed, list) and field.items is not None:
        typed = [_typed(v, _kinds(field.items)) for v in typed]
        if any(v is _WRONG for v in typed):
            raise where.bad(key, value, field.words())
    for one in typed if isinstance(typed, list) else (typed,):
        if not _allowed(field, one):
            raise where.bad(key, typed, field.words())  # as read: 0 for a float key shows as 0.0
    return typed


_WRONG = object()  # _typed's answer for a value of none of the kinds


def _typed(value: Any, kinds: tuple[type, ...]) -> Any:
    """The value (an int as a float where only float is allowed), or _WRONG; bool is not an int here, and a
    float must be finite."""
    if isinstance(value, bool) and bool not in kinds:
        return _WRONG
    # TOML and JSON give Python numbers; code may pass numpy's (np.int64 counts, np.float32 thresholds)
    if int in kinds and not isinstance(value, (int, bool)) and isinstance(value, numbers.Integral):
        value = int(value)
    elif float in kinds and int not in kinds and isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kinds) or (isinstance(value, float) and not math.isfinite(value)):
        return _WRONG
    return value


def _allowed(field: Field, value: Any) -> bool:
    """Whether one scalar value is in the field's range, choices and pattern (lists and tables pass)."""
    if field.choices and value not in field.choices:
        return False
    if field.pattern and isinstance(value, str) and not re.search(field.pattern, value):
        return False
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return True
    if field.low is not None and (value <= field.low if field.low_open else value < field.low):
        return False
    return field.high is None or (value < field.high if field.high_open else value <= field.high)


def _kinds(kind: Kind) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _number(x: float | None) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _type_word(value: Any) -> str:
    return _FOUND_WORDS.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."

