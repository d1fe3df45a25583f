"""`cleftedge profiles list|show`: the device profiles (built in, or a user's own .toml)."""

from __future__ import annotations

import json

from cleftedge.cli import add_command, add_group


def register(sub) -> None:
    """Add `cleftedge profiles` and its flags to the CLI's subparsers (`sub`)."""
    kinds = add_group(sub, "profiles", "list and show device profiles",
                  "Device profiles: backend, device, precision, recipe, budget, toolkit versions, "
                  "target hardware. A user's own .toml works wherever a name does.",
                  "cleftedge profiles list --json")
    ls = add_command(kinds, "list", "list the built-in profiles", "cleftedge profiles list --json", _list)
    ls.add_argument("--json", action="store_true")
    show = add_command(kinds, "show", "show one profile in full", "cleftedge profiles show intel-cpu", _show)
    show.add_argument("name", help="a profile name or a .toml file")
    show.add_argument("--json", action="store_true")


def _list(args) -> int:
    from cleftedge.device_profiles import list_profiles

    profiles = list_profiles()
    if args.json:
        print(json.dumps([p.to_dict() for p in profiles], indent=2))
        return 0
    print(f"{'name':<22} {'backend':<12} {'device':<6} {'recipe':<12} {'budget':<12} toolkit")
    for p in profiles:
        budget = f"{p.budget['fps']:g}fps/{p.budget['latency_ms']:g}ms"
        toolkit = f"{p.toolkit['name']} {p.toolkit['min_version']}..{p.toolkit.get('max_version', '')}"
        print(f"{p.name:<22} {p.backend:<12} {p.device:<6} {p.recipe:<12} {budget:<12} {toolkit}")
    return 0


def _show(args) -> int:
    from cleftedge.device_profiles import load_profile

    p = load_profile(args.name)
    d = p.to_dict()
    if args.json:
        print(json.dumps(d, indent=2))
        return 0
    print(f"{p.name}: {p.description}")
    for key, value in d.items():
        if isinstance(value, dict):
            if value:
                print(f"  [{key}]")
                for k, v in value.items():
                    print(f"    {k} = {v}")
        elif key not in ("name", "description"):
            print(f"  {key} = {value}")
    return 0
