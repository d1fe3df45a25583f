"""A stand-in for the `tensorrt` module, for testing the builder's and the backend's call sequences on
machines without TensorRT (it cannot be installed or run here). It binds only the names of one
TensorRT version, from the committed API surface: any other name raises AttributeError as that
version's module would, a read-only property refuses to be set, a call with keywords or arity the
binding does not take raises TypeError. What the calls return is scripted per test (`behaviour`);
everything set and called is recorded in order (`log`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance_check import fits
from conformance_libraries import TENSORRT
from surface_lookup import class_members, load, module_names, signatures

SURFACES = Path(__file__).resolve().parent / "surfaces"
FULL_VERSION = {"10.3": "10.3.0.26", "10.7": "10.7.0.23", "10.16": "10.16.0.72", "11.1": "11.1.0.106",
                "11.4": "11.4.0.106"}
WRITABLE = ("property", "python")


class FakeTensorRT:
    def __init__(self, version: str, behaviour: dict[str, Any] | None = None, full_version: str | None = None):
        self._surface = load(SURFACES / f"tensorrt-{version}.json")
        self._names = module_names(self._surface)
        self._classes: dict[str, type] = {}
        self.behaviour = dict(behaviour or {})  # "Class.member" -> value, or callable(obj, *args, **kwargs)
        self.log: list[tuple[str, tuple, dict]] = []  # ("Class.member", args, kwargs); stores as ("Class.x=", (v,), {})
        self.__version__ = full_version or FULL_VERSION[version]
        self.version = version

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name not in self._names:
            raise AttributeError(f"module 'tensorrt' ({self.version}) has no attribute '{name}'")
        if self._names[name] == "class":
            return self.cls(name)
        if self._names[name] == "function":
            return lambda *a, **k: self.call(name, None, a, k)
        return f"tensorrt.{name}"

    # --- classes, enums, objects ---------------------------------------------------------
    def cls(self, name: str) -> type:
        if name not in self._classes:
            fake = self
            meta = type("FakeMeta", (type,), {"__getattr__": lambda c, attr: fake.class_attr(name, attr)})
            self._classes[name] = meta(name.rsplit(".", 1)[-1], (FakeObject,), {"_fake": fake, "_trt_class": name})
        return self._classes[name]

    def class_attr(self, cls: str, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        members = class_members(self._surface, cls)
        if attr not in members:
            raise AttributeError(f"type object 'tensorrt.{cls}' ({self.version}) has no attribute '{attr}'")
        kind = members[attr]
        if kind == "nested":
            return self.cls(f"{cls}.{attr}")
        if kind in ("value", "python"):
            return EnumValue(cls, attr, sorted(class_members(self._surface, cls)).index(attr))
        return lambda *a, **k: self.call(f"{cls}.{attr}", None, a, k)

    def make(self, cls: str, **stored: Any) -> FakeObject:
        """An object of `cls` as TensorRT would hand it out, with properties already set."""
        obj = self.cls(cls).__new__(self.cls(cls))
        object.__setattr__(obj, "_stored", dict(stored))
        return obj

    def call(self, name: str, obj: Any, args: tuple, kwargs: dict) -> Any:
        cls, _, member = name.rpartition(".")
        sigs = signatures(self._surface, cls or None, member)
        if sigs and not any(fits(s, len(args), tuple(kwargs)) for s in sigs):
            raise TypeError(f"{name}(): incompatible arguments {args} {kwargs} for TensorRT {self.version}")
        self.log.append((name, args, kwargs))
        if name in self.behaviour:
            value = self.behaviour[name]
            return value(obj, *args, **kwargs) if callable(value) else value
        returned = TENSORRT.returns.get((cls, member))
        if returned and not returned.startswith("enum:") and returned != "py":
            return self.make(returned)
        return None

    def calls(self, name: str) -> list[tuple[tuple, dict]]:
        return [(a, k) for n, a, k in self.log if n == name]

    def names_logged(self) -> list[str]:
        return [n for n, _, _ in self.log]


class FakeObject:
    """An instance of a fake TensorRT class: members checked against the version's surface."""

    _fake: FakeTensorRT
    _trt_class: str

    def __init__(self, *args: Any, **kwargs: Any):
        object.__setattr__(self, "_stored", {})
        sigs = signatures(self._fake._surface, self._trt_class, "__init__")
        if sigs and not any(fits(s, len(args), tuple(kwargs)) for s in sigs):
            raise TypeError(f"tensorrt.{self._trt_class}(): incompatible constructor arguments {args} {kwargs}")
        self._fake.log.append((f"{self._trt_class}.__init__", args, kwargs))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        fake, cls = self._fake, self._trt_class
        kind = class_members(fake._surface, cls).get(name)
        if kind is None:
            raise AttributeError(f"'tensorrt.{cls}' object ({fake.version}) has no attribute '{name}'")
        if kind in ("method", "static"):
            return lambda *a, **k: fake.call(f"{cls}.{name}", self, a, k)
        stored = object.__getattribute__(self, "_stored")
        if name in stored:
            return stored[name]
        value = fake.behaviour.get(f"{cls}.{name}")
        return value(self) if callable(value) else value

    def __setattr__(self, name: str, value: Any) -> None:
        fake, cls = self._fake, self._trt_class
        kind = class_members(fake._surface, cls).get(name)
        if kind is None and "_trt_class" not in type(self).__dict__:  # a Python subclass (a logger) keeps its own
            object.__setattr__(self, name, value)
            return
        if kind not in WRITABLE:
            raise AttributeError(f"tensorrt.{cls}.{name} ({fake.version}) is {kind or 'not an attribute'}; "
                                 "it cannot be set")
        object.__getattribute__(self, "_stored")[name] = value
        fake.log.append((f"{cls}.{name}=", (value,), {}))


class EnumValue:
    """An enum member (also what trt.Logger.WARNING is): name, value, int(), equality."""

    def __init__(self, cls: str, name: str, index: int):
        self.enum, self.name, self.value = cls, name, index

    def __int__(self) -> int:
        return self.value

    __index__ = __int__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EnumValue) and (other.enum, other.name) == (self.enum, self.name)

    def __hash__(self) -> int:
        return hash((self.enum, self.name))

    def __repr__(self) -> str:
        return f"<{self.enum}.{self.name}>"

