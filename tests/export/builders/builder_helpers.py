"""Helpers for the builder tests (a unique module name: conftest names clash across test folders)."""


def user_profile(tmp_path, builtin: str, qa_required: bool = False):
    """A user's own profile file made from a built-in one."""
    from cleftedge.device_profiles import builtin_text

    text = builtin_text(builtin)
    path = tmp_path / f"{builtin}-mine.toml"
    path.write_text(text.replace(f'name = "{builtin}"', f'name = "{builtin}-mine"')
                    .replace("required = true", f"required = {str(qa_required).lower()}"))
    return path
