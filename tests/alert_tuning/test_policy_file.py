"""The policy file: the tuned policy and its alarm delay round-trip; old files still load."""

import pytest

from cleftedge.alert_tuning.policy_file import load_tuning, policy_text, write_policy
from cleftedge.alert_tuning.record import SweepRecord, overlaps, refuse_overlap
from cleftedge.errors import CleftEdgeError
from cleftedge.runtime.alerts import AlertConfig, AlertDelay, AlertPolicy, load_alert_config

DELAY = AlertDelay(0.233, 0.9, 41, 'tune-alerts on 12 sweeps "site A"', "ab" * 32)
RECORDS = [SweepRecord("a.mp4", "1" * 64, 300, "0123456789abcdef" * 10), SweepRecord("b.mp4", "2" * 64, 90, "")]


def test_round_trip_with_delay_and_record(tmp_path):
    cfg = AlertConfig(k=4, n=6, clear_k=1, cooldown_frames=15, clear_threshold=0.31, delay=DELAY)
    path = tmp_path / "alerts.toml"
    write_policy(path, cfg, {"model": "m.onnx", "false_per_hour": 0.5}, RECORDS, "header line")
    assert load_alert_config(path) == cfg
    table, records = load_tuning(path)
    assert table == {"model": "m.onnx", "false_per_hour": 0.5} and records == RECORDS
    assert [p.name for p in tmp_path.iterdir()] == ["alerts.toml"]  # no temp file left
    assert AlertPolicy(cfg, 0.6).describe()["delay"]["max_s"] == 0.9


def test_old_files_still_load_without_a_delay(tmp_path):
    path = tmp_path / "old.toml"
    path.write_text("[alerts]\nk = 4\nn = 6\nthreshold = 0.7\n")
    cfg = load_alert_config(path)
    assert cfg.k == 4 and cfg.delay is None and load_tuning(path) == ({}, [])
    path.write_text("k = 3\nn = 5\n")  # a bare table, as before
    assert load_alert_config(path).n == 5
    assert AlertPolicy(load_alert_config(path), 0.5).describe()["delay"] is None


@pytest.mark.parametrize("table,needle", [
    ("[alert_delay]\nmedian_s = 0.5\n", "malformed"),
    ("[alert_delay]\nmedian_s = 0.9\nmax_s = 0.2\npasses = 3\n", "median_s <= max_s"),
    ("[alert_delay]\nmedian_s = 'soon'\nmax_s = 0.2\npasses = 3\n", "wrong type"),
    ("[alert_delay]\nmedian_s = 0.1\nmax_s = 0.2\npasses = 3\nwho = 1\n", "malformed"),
])
def test_a_bad_delay_table_is_refused(tmp_path, table, needle):
    path = tmp_path / "p.toml"
    path.write_text("[alerts]\nk = 4\nn = 6\n" + table)
    with pytest.raises(CleftEdgeError, match=needle):
        load_alert_config(path)


def test_the_record_refuses_by_content_not_by_name():
    renamed = SweepRecord("other-name.mp4", "1" * 64, 300, "")
    assert overlaps([renamed], RECORDS) and not overlaps([SweepRecord("a.mp4", "3" * 64, 300, "")], RECORDS)
    near = SweepRecord("x.avi", "9" * 64, 300, "0123456789abcdee" * 10)  # 1 bit off in every sample
    assert "near copy" in overlaps([near], RECORDS)[0]
    with pytest.raises(CleftEdgeError, match="other-name.mp4 is the tuning sweep a.mp4"):
        refuse_overlap([renamed], RECORDS, "fresh sweeps")


def test_policy_text_is_valid_toml_even_with_odd_names():
    from cleftedge import toml

    text = policy_text(AlertConfig(delay=DELAY), {"model": 'C:\\models\\m "1".onnx'},
                       [SweepRecord('we"ird\\name.mp4', "1" * 64, 3, "")])
    assert toml.loads(text)["tuning"]["sweeps"][0]["name"] == 'we"ird\\name.mp4'
