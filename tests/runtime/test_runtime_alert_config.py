"""The alert policy file and the --alert-* flags: one table (runtime.alerts.ALERT_FIELDS) checks both, and
every refusal is one line naming the key and what was expected."""

import pytest
from config_error_helpers import cli_error_line, refused

from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.alerts import ALERT_FIELDS, AlertConfig, load_alert_config

RUN = ["run", "--model", "nowhere.onnx", "--source", "sim:unilateral?seconds=1"]  # the policy fails first


@pytest.mark.parametrize("text,words", [
    ('[alerts]\nk = "5"\n', ["'k' is '5'", "wrong type", "an integer of 1 or more"]),
    ("[alerts]\nk = 4.7\n", ["'k' is 4.7", "an integer"]),  # was silently run as k = 4
    ("k = true\n", ["'k' is True", "an integer"]),  # a bare (old) file: was run as k = 1
    ("[alerts]\nthreshold = 1.5\n", ["'threshold' is 1.5", "a probability between 0 and 1"]),
    ("[alerts]\nthreshold = nan\n", ["'threshold' is nan", "finite"]),
    ("[alerts]\nk = 0\n", ["'k' is 0", "1 or more"]),
    ("[alerts]\ncooldown_frames = -1\n", ["'cooldown_frames' is -1", "0 or more"]),
    ("[alerts]\nclear_treshold = 0.2\n", ["unknown key 'clear_treshold'", "did you mean 'clear_threshold'",
                                           "one of the keys: k, n, clear_k"]),
    ("windw = 6\n", ["unknown key 'windw'"]),
    ("alerts = 3\n", ["'alerts' is 3", "a table of k, n"]),
    ("[alerts.k]\nx = 1\n", ["'k' is {'x': 1}", "wrong type: a table"]),
    ("[alerts]\nk = 4\n[alert_delay]\nmedian_s = 0.1\nmax_s = 0.2\n", ["missing 'alert_delay.passes'",
                                                                       "malformed", "an integer count"]),
    ("[alerts]\nk = 4\n[alert_delay]\nmedian_s = 0.1\nmax_s = 0.2\npasses = 2.5\n",
     ["'alert_delay.passes' is 2.5", "wrong type"]),
    ("[alerts]\nk = 4\nalert_delay = 1\n", ["unknown key 'alert_delay'"]),
])
def test_a_bad_policy_file_is_one_line_naming_the_key(tmp_path, capsys, text, words):
    refused(capsys, load_alert_config, tmp_path / "alerts.toml", text, words, [*RUN, "--alerts"])


@pytest.mark.parametrize("flag,value,words", [
    ("--alert-k", "0", ["'--alert-k' is 0", "1 or more"]),
    ("--alert-threshold", "1", ["'--alert-threshold' is 1.0", "between 0 and 1"]),
    ("--alert-k", "9", ["k=9, n=8", "1 <= k <= n", "--alert-* flags"]),  # the flag against the default n
])
def test_a_bad_flag_is_one_line_naming_the_flag(capsys, flag, value, words):
    line = cli_error_line(capsys, [*RUN, flag, value])
    assert all(w in line for w in words), line


def test_every_key_of_the_table_has_its_flag_and_a_default():
    from cleftedge.cli import build_parser

    args = build_parser().parse_args([*RUN, *(x for f in ALERT_FIELDS
                                             for x in ("--alert-" + f.name.replace("_", "-"), "0.25"
                                                       if f.kind is float else "3"))])
    assert {f.name: getattr(args, "alert_" + f.name) for f in ALERT_FIELDS} == {
        "k": 3, "n": 3, "clear_k": 3, "cooldown_frames": 3, "threshold": 0.25, "clear_threshold": 0.25}
    assert [f.name for f in ALERT_FIELDS] == ["k", "n", "clear_k", "cooldown_frames", "threshold", "clear_threshold"]
    assert all(hasattr(AlertConfig(), f.name) for f in ALERT_FIELDS)


def test_good_files_load_as_before(tmp_path):
    f = tmp_path / "alerts.toml"
    f.write_text("[alerts]\nk = 4\nn = 6\nclear_k = 0\ncooldown_frames = 0\nthreshold = 1e-1\n"
                 "clear_threshold = 0.05\n[tuning]\nmodel = 'm.onnx'\n[future_table]\nx = 1\n")
    assert load_alert_config(f) == AlertConfig(k=4, n=6, clear_k=0, cooldown_frames=0, threshold=0.1,
                                               clear_threshold=0.05)
    f.write_text("k = 2\nn = 3\n[tuning]\nmodel = 'm'\n")  # an old bare file
    assert load_alert_config(f) == AlertConfig(k=2, n=3)


def test_code_may_pass_numpy_numbers_as_the_old_check_allowed():
    import numpy as np

    from cleftedge.runtime.alerts import AlertPolicy

    policy = AlertPolicy(AlertConfig(k=np.int64(3), n=4, clear_threshold=np.float32(0.35)), np.float32(0.5))
    assert policy.clear_threshold == np.float32(0.35)
    with pytest.raises(CleftEdgeError, match="'threshold' is 1.5"):
        AlertConfig(threshold=np.float64(1.5)).check()


def test_counts_from_a_numpy_tuning_grid_run_as_plain_integers():
    import json

    import numpy as np

    from cleftedge.runtime.alerts import AlertPolicy

    grid = np.arange(1, 9)  # np.int64, as a tuning grid gives them
    config = AlertConfig(k=grid[2], n=grid[4], clear_k=np.int32(0), cooldown_frames=np.uint8(0))
    policy = AlertPolicy(config, 0.5)
    plain = AlertPolicy(AlertConfig(k=3, n=5, clear_k=0, cooldown_frames=0), 0.5)
    scores = [0.9, 0.1, 0.9, 0.9, 0.2, 0.1, 0.1, 0.1, 0.1]
    runs = [[[(what, a.start_frame, a.end_frame) for what, a in p.update(i, i / 30, s)] for i, s in enumerate(scores)]
            for p in (policy, plain)]
    assert runs[0] == runs[1] and any(runs[0])
    described = policy.describe()
    assert all(type(described[key]) is int for key in ("k", "n", "clear_k", "cooldown_frames"))
    json.dumps(described)  # the session_start event and the summary carry it
    assert policy.config == plain.config


@pytest.mark.parametrize("values,words", [({"n": 5.0}, "'n' is 5.0"), ({"k": True}, "'k' is True"),
                                          ({"k": 2.5}, "'k' is 2.5"), ({"n": "5"}, "'n' is '5'")])
def test_a_float_or_bool_count_is_one_line(values, words):
    from cleftedge.runtime.alerts import AlertPolicy

    with pytest.raises(CleftEdgeError, match=words) as err:
        AlertPolicy(AlertConfig(**values), 0.5)
    assert "\n" not in str(err.value) and "an integer" in str(err.value)


def test_a_policy_file_is_checked_once_by_the_field_table(tmp_path, monkeypatch):
    from cleftedge import config_fields
    from cleftedge.runtime import alerts

    checked = []
    real = config_fields.check_value

    def counting(field, value, where, key):
        checked.append(key)
        return real(field, value, where, key)

    monkeypatch.setattr(config_fields, "check_value", counting)
    monkeypatch.setattr(alerts, "check_value", counting)
    f = tmp_path / "alerts.toml"
    f.write_text("[alerts]\nk = 4\nn = 6\nclear_k = 0\nthreshold = 0.4\n")
    assert load_alert_config(f) == AlertConfig(k=4, n=6, clear_k=0, threshold=0.4)
    assert sorted(checked) == ["clear_k", "k", "n", "threshold"]  # each key once, by read_table
    f.write_text("[alerts]\nk = 7\nn = 6\n")  # each key sound, together not: still refused
    with pytest.raises(CleftEdgeError, match=r"\[alerts\]: k=7, n=6"):
        load_alert_config(f)
