"""The QA policy file: one field table (qa.policy.POLICY_FIELDS) checks it, and every refusal is one line
naming the key and what was expected. Every key is optional (Policy holds the defaults), so there is no
missing-key case here; the other configs test theirs."""

import pytest
from config_error_helpers import refused

from cleftedge.calibration.qa.policy import POLICY_FIELDS, Policy, load_policy, policy_keys


@pytest.mark.parametrize("text,words", [
    ('resamples = "500"\n', ["'resamples' is '500'", "wrong type", "an integer from 200 to 100000"]),
    ("seed = 1.5\n", ["'seed' is 1.5", "an integer, 0 or more"]),
    ("min_agreement = true\n", ["'min_agreement' is True", "wrong type", "from 0 to below 1"]),
    ("confidence = 0.4\n", ["'confidence' is 0.4", "from 0.5 to below 1"]),
    ("max_auc_drop = inf\n", ["'max_auc_drop' is inf", "finite"]),
    ("min_agreemnt = 0.9\n", ["unknown key 'min_agreemnt'", "did you mean 'min_agreement'", "max_auc_drop"]),
    ("[min_agreement]\nx = 1\n", ["'min_agreement' is {'x': 1}", "wrong type: a table"]),
    ("[policy]\nmin_agreement = 0.9\n", ["unknown table 'policy'"]),
])
def test_a_bad_policy_file_is_one_line_naming_the_key(tmp_path, capsys, text, words):
    refused(capsys, load_policy, tmp_path / "policy.toml", text, words, ["qa-plan", "--policy"])


def test_the_table_has_one_row_per_policy_key_and_good_files_load_as_before(tmp_path):
    assert [f.name for f in POLICY_FIELDS] == list(policy_keys())
    f = tmp_path / "policy.toml"
    f.write_text("min_sensitivity_difference_pp = -3\nmax_auc_drop = 0\nresamples = 200\nseed = 7\n"
                 "min_reference_sensitivity = 0\nconfidence = 0.5\n")
    p = load_policy(f)
    assert p == Policy(min_sensitivity_difference_pp=-3.0, max_auc_drop=0.0, resamples=200, seed=7,
                       min_reference_sensitivity=0.0, confidence=0.5)
    assert isinstance(p.min_sensitivity_difference_pp, float) and isinstance(p.resamples, int)
