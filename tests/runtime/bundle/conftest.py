import shutil

import pytest
from bundle_helpers import int8_ir, sign

from cleftedge.cli import main
from cleftedge.device_profiles import builtin_text


@pytest.fixture(scope="session")
def int8_model(tmp_path_factory, reference_export_copy):
    return int8_ir(tmp_path_factory.mktemp("int8"), reference_export_copy)


@pytest.fixture(scope="session")
def built(tmp_path_factory, int8_model):
    """A signed intel-cpu bundle (QA not required by this user profile), its keys and trust store."""
    root = tmp_path_factory.mktemp("bundle")
    profile = root / "cpu-no-qa.toml"
    # a user's own profile file, made from the built-in one
    src = builtin_text("intel-cpu")
    profile.write_text(src.replace('name = "intel-cpu"', 'name = "cpu-no-qa"').replace("required = true",
                                                                                           "required = false"))
    assert main(["build", "--model", str(int8_model), "--profile", str(profile), "--out", str(root / "b")]) == 0
    assert main(["keys", "generate", "--out", str(root / "keys")]) == 0
    assert main(["keys", "generate", "--out", str(root / "other"), "--name", "stranger"]) == 0
    (root / "trust").mkdir()
    shutil.copy(root / "keys" / "cleftedge-signing.pub.pem", root / "trust")
    assert sign(root / "b", root / "keys" / "cleftedge-signing.key.pem") == 0
    return root


@pytest.fixture
def bundle_copy(built, tmp_path):
    dst = tmp_path / "b"
    shutil.copytree(built / "b", dst)
    return dst
