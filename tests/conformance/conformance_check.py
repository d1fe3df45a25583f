"""Judging the names a file uses against the API surfaces of every supported version of a library:
one line per problem (where, which name, in which versions it is missing, what to do)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from api_usage import Use
from surface_lookup import ENUM_INSTANCE, class_members, module_names, signatures

WRITABLE = ("property", "python")


def present(surface: dict, use: Use) -> bool:
    if use.owner is None:
        return use.name in module_names(surface, use.module or None)
    if use.owner not in surface["classes"]:
        return False
    if use.name == "__init__":
        return True  # every class can be constructed; the arity is checked where the binding names it
    members = class_members(surface, use.owner)
    return use.name in members or (use.kind == "value" and use.name in ENUM_INSTANCE)


def fits(signature: list[str], positional: int, keywords: tuple[str, ...]) -> bool:
    """Whether a call with `positional` arguments and `keywords` fits one binding overload
    (names ending in '?' have defaults)."""
    if positional < 0:
        return True
    names = [n.rstrip("?") for n in signature]
    if positional > len(names) or any(k not in names[positional:] for k in keywords):
        return False
    given = set(names[:positional]) | set(keywords)
    return all(n.rstrip("?") in given for n in signature if not n.endswith("?"))


def call_problem(surface: dict, use: Use) -> str | None:
    if use.kind != "call" or not present(surface, use):
        return None
    kind = (module_names(surface, use.module or None) if use.owner is None else class_members(surface, use.owner)
            ).get(use.name)
    if kind in ("property", "readonly", "value", "attribute"):
        return f"is a {kind}, not something to call"
    sigs = signatures(surface, use.owner, use.name)
    if not sigs:
        return None
    if any(fits(s, use.positional, use.keywords) for s in sigs):
        return None
    shown = " | ".join("(" + ", ".join(s) + ")" for s in sigs)
    args = [f"{use.positional} positional"] + [f"{k}=" for k in use.keywords]
    return f"called with {', '.join(args)}; the binding takes {shown}"


def store_problem(surface: dict, use: Use) -> str | None:
    if use.kind != "store" or use.owner in (None, "?") or not present(surface, use):
        return None
    kind = class_members(surface, use.owner).get(use.name)
    return None if kind in WRITABLE else f"is {kind}, not a settable property"


def problems(uses: Iterable[Use], surfaces: dict[str, dict], expected: Callable[[str, str], bool | None],
             library: str = "trt") -> list[str]:
    """Every problem of `uses` against `surfaces` (version -> surface). `expected(name, version)`
    says whether the version table lists `name` for `version` (None: the name is not in the table)."""
    out = []
    for use in uses:
        if use.owner == "?":
            out.append(f"{use.where()}: {library} {use.name}: the checker does not know what that call returns "
                       "(add it to the library's returns table in tests/conformance/libraries.py)")
            continue
        missing = [v for v, s in surfaces.items() if not present(s, use)]
        table = {v: expected(use.dotted, v) for v in surfaces}
        if all(t is not None for t in table.values()):
            wrong = [v for v in surfaces if table[v] != (v not in missing)]
            if wrong:
                out.append(f"{use.where()}: {library}.{use.dotted}: VERSIONED_NAMES says "
                           + ", ".join(f"{v} {'has' if table[v] else 'lacks'} it" for v in wrong)
                           + "; the binding sources say otherwise")
        elif missing:
            out.append(f"{use.where()}: {library}.{use.dotted} is not in TensorRT {', '.join(missing)}"
                       if library == "trt" else f"{use.where()}: {library}.{use.dotted} is not in {', '.join(missing)}")
            out[-1] += ("; use a name every supported version has, or guard it by version and add it to "
                        "VERSIONED_NAMES in cleftedge/export/builders/tensorrt_settings.py"
                        if library == "trt" else "")
        for version, surface in surfaces.items():
            for problem in (call_problem(surface, use), store_problem(surface, use)):
                if problem:
                    out.append(f"{use.where()}: {library}.{use.dotted} {problem} (version {version})")
    return sorted(set(out))
