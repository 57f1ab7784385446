"""The empathy-gym command line."""

import io
import json

import pytest

from empathy_gym.cli import ProgressBar, main


def test_references_prints_a_table_and_writes_json(tmp_path, capsys):
    out = tmp_path / "scores.json"
    assert main(["references", "--presets", "normal", "--policies", "random", "oracle", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| oracle |" in printed and "| random |" in printed
    scores = json.loads(out.read_text())["scores"]["normal"]
    assert scores["oracle"]["mean_final_emotion"] > scores["random"]["mean_final_emotion"]


@pytest.mark.parametrize("argv", [
    ["references", "--seeds", "0"],
    ["references", "--policies", "nobody"],
    ["play", "--policy", "nobody"],
    ["play", "--policy", "oracle", "--difficulty", "2"],
    ["play", "--policy", "oracle", "--profile-id", "nobody"],
    ["play", "--policy", "oracle", "--checkpoint", "x.pt"],
])
def test_bad_arguments_end_in_a_usage_error_not_a_traceback(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_train_writes_logs_and_a_checkpoint_then_resumes(tmp_path, capsys):
    log_dir = tmp_path / "run"
    argv = ["train", "--difficulty", "simple", "--total-steps", "256", "--num-envs", "2", "--log-dir", str(log_dir)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "update    1/1" in out and "[####################] 100%" in out
    assert "| ppo (this run) |" in out and "| oracle |" in out and "| random |" in out
    assert "of the gap between random and the oracle" in out
    assert (log_dir / "checkpoint.pt").exists() and (log_dir / "progress.csv").exists()
    assert main([*argv, "--resume", str(log_dir / "checkpoint.pt")]) == 0


def test_play_lets_a_person_type_replies_and_shows_the_emotion(monkeypatch, capsys):
    replies = iter(["That sounds exhausting. What happened?", "It makes sense you feel that way.", ""])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(replies))
    assert main(["play", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert out.count("AGENT: ") == 2 and "USER  [" in out and "(stopped)" in out


def test_play_watches_a_reference_policy_to_the_end(capsys):
    assert main(["play", "--policy", "oracle", "--difficulty", "simple", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "== ended:" in out and "the hidden intention was:" in out


def test_play_watches_a_trained_checkpoint(tmp_path, capsys):
    log_dir = tmp_path / "run"
    main(["train", "--difficulty", "simple", "--total-steps", "128", "--num-envs", "2", "--log-dir", str(log_dir)])
    capsys.readouterr()
    assert main(["play", "--checkpoint", str(log_dir / "checkpoint.pt"), "--seed", "2"]) == 0
    assert "the hidden intention was:" in capsys.readouterr().out


def _row(update):
    return {"update": update, "global_step": 100 * update, "mean_episode_return": 0.25, "mean_final_emotion": 61.5,
            "entropy": 1.2, "sps": 500.0}


def test_progress_bar_writes_the_first_update_and_each_tenth_into_a_file():
    stream = io.StringIO()
    bar = ProgressBar(50, stream=stream)
    for update in range(1, 51):
        bar.update(_row(update))
    bar.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11 and "\r" not in stream.getvalue()  # the first update, then each tenth
    assert "update    1/50" in lines[0] and lines[1].startswith("[##") and "update    5/50" in lines[1]
    assert lines[-1].startswith("[" + "#" * 20 + "] 100%") and "final emotion  61.5" in lines[-1]


def test_progress_bar_redraws_one_line_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    bar = ProgressBar(4, stream=stream)
    for update in range(1, 5):
        bar.update(_row(update))
    bar.close()
    text = stream.getvalue()
    assert text.count("\r") == 4 and text.endswith("\n") and text.count("\n") == 1
    assert "return +0.25" in text
