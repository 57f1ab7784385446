"""The empathy-gym command line, as a newcomer meets it: run as a subprocess, refusals checked by
exit status, stderr, and what is (not) on disk afterwards."""

import csv
import json
import signal
import subprocess
import sys
import time
from dataclasses import fields
from pathlib import Path

import pytest

from empathy_gym.agents.config import PPOConfig
from empathy_gym.cli import main

REPOSITORY = Path(__file__).resolve().parents[1]
#: A run small enough for a test: 2 envs x 16 steps per update.
TINY = ["--num-envs", "2", "--num-steps", "16", "--n-features", "64", "--eval-seeds", "0"]


def cli(*argv, cwd, **options):
    return subprocess.run([sys.executable, "-m", "empathy_gym.cli", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=600, **options)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def assert_refused(result, *needles):
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


@pytest.fixture(scope="module")
def earlier_run(tmp_path_factory):
    """A finished tiny run in r1/, as a newcomer would have one from a first try."""
    folder = tmp_path_factory.mktemp("earlier")
    result = cli("train", "--total-steps", "64", "--log-dir", "r1", *TINY, cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder


REFUSED = [
    (["train", "--difficulty", "banana"], ["'banana'", "simple, normal, challenging", "[0, 1]"]),
    (["train", "--difficulty", "1.5"], ["'1.5'", "[0, 1]"]),
    (["train", "--env", "Nonsense-v0"], ["'Nonsense-v0'", "EmpathyGym/SupportStrategy-v0"]),
    (["train", "--env", "EmpathyGym/Support-v0"], ["'EmpathyGym/Support-v0'", "EmpathyGym/SupportStrategy-v0"]),
    (["train", "--resume", "/missing.pt"], ["'/missing.pt'"]),
    (["train", "--resume", "README.md"], ["'README.md'", "not a PPO checkpoint"]),
    (["train", "--total-steps", "0"], ["--total-steps", "0", "positive integer"]),
    (["train", "--total-steps", "lots"], ["'lots'", "integer"]),
    (["train", "--seed", "-1"], ["--seed", "-1", "non-negative"]),
    (["train", "--gamma", "1.5"], ["--gamma", "1.5", "[0, 1]"]),
    (["train", "--learning-rate", "nan"], ["--learning-rate", "'nan'", "finite"]),
    (["train", "--curriculum", "sometimes"], ["'sometimes'", "ramp"]),
    (["train", "--log-dir", "README.md"], ["'README.md'", "folder"]),
    (["train", "--num-envs", "1", "--num-steps", "2", "--num-minibatches", "4"], ["num_minibatches (4)", "(2)"]),
    (["play", "--checkpoint", "/missing.pt"], ["'/missing.pt'"]),
    (["play", "--checkpoint", "README.md"], ["'README.md'", "not a PPO checkpoint"]),
    (["play", "--policy", "nobody"], ["'nobody'", "heuristic"]),
    (["play", "--policy", "oracle", "--checkpoint", "x.pt"], ["--policy or --checkpoint"]),
    (["play", "--policy", "oracle", "--profile-id", "nobody"], ["'nobody'", "test-001"]),
    (["play", "--user", "llm"], ["--user-backend"]),
    (["play", "--split", "banana"], ["'banana'", "train", "ood"]),
    (["references", "--seeds", "0"], ["--seeds", "0"]),
    (["references", "--policies", "nobody"], ["'nobody'", "oracle"]),
    (["references", "--presets", "hard"], ["'hard'", "challenging"]),
    (["references", "--json", "no/such/folder/x.json"], ["'no/such/folder/x.json'", "does not exist"]),
    (["evaluate", "--policy", "nobody"], ["'nobody'", "heuristic", ".pt"]),
    (["evaluate", "--policy", "x.pt"], ["'x.pt'"]),
    (["evaluate", "--policy", "oracle", "--markdown", "."], ["'.'", "folder"]),
    (["sweep", "--workers", "0"], ["--workers", "0"]),
    (["sweep", "--conditions", "harder"], ["'harder'", "level=0.50"]),
    (["sweep", "--out", "README.md"], ["'README.md'", "folder"]),
    (["sweep", "--seeds", "-3"], ["--seeds", "-3"]),
    ([], ["COMMAND"]),
    (["fly"], ["'fly'", "train"]),
]


@pytest.mark.parametrize("argv, needles", REFUSED, ids=lambda value: " ".join(value) if isinstance(value, list) else "")
def test_a_refused_command_says_why_in_one_line_and_creates_nothing(argv, needles, tmp_path):
    (tmp_path / "README.md").write_text("# not a checkpoint\n")
    before = snapshot(tmp_path)
    assert_refused(cli(*argv, cwd=tmp_path), *needles)
    assert snapshot(tmp_path) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["README.md"]


@pytest.mark.parametrize("argv, needles", [
    (["train", "--log-dir", "r1", "--resume", "nope.pt"], ["'nope.pt'"]),
    (["train", "--log-dir", "r1"], ["'r1'", "already holds a run", "--resume r1/checkpoint.pt"]),
    (["train", "--resume", "r1/checkpoint.pt", "--difficulty", "simple"], ["difficulty", "'normal' there", "'simple' here"]),
    (["train", "--resume", "r1/checkpoint.pt", "--hidden-sizes", "8"], ["hidden_sizes"]),
    (["train", "--resume", "r1/checkpoint.pt", "--total-steps", "32"], ["64", "at least"]),
], ids=lambda value: " ".join(value) if isinstance(value, list) and value and value[0] == "train" else "")
def test_a_refused_command_leaves_an_earlier_run_untouched(argv, needles, earlier_run):
    before = snapshot(earlier_run)
    assert_refused(cli(*argv, cwd=earlier_run), *needles)
    assert snapshot(earlier_run) == before


def test_rerunning_the_same_command_keeps_the_earlier_run(tmp_path):
    argv = ["train", "--total-steps", "32", *TINY]
    first, second = cli(*argv, cwd=tmp_path), cli(*argv, cwd=tmp_path)
    assert first.returncode == second.returncode == 0, (first.stderr, second.stderr)
    runs = sorted(path.name for path in (tmp_path / "runs").iterdir())
    assert runs == ["SupportStrategy-v0-normal-seed1", "SupportStrategy-v0-normal-seed1-2"]
    assert "holds an earlier run, kept" in second.stdout


def test_train_says_what_it_will_do_including_the_rounding(tmp_path):
    result = cli("train", "--total-steps", "100", "--log-dir", "run", *TINY, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    plan = result.stdout.splitlines()[0]
    assert "EmpathyGym/SupportStrategy-v0" in plan and "'normal'" in plan and "seed 1" in plan
    assert "96 steps = 3 updates of 2 envs x 16 steps" in plan and "--total-steps 100 rounded down" in plan
    assert "run/" in result.stdout


def _rows(folder):
    with open(folder / "progress.csv", newline="") as handle:
        return [{k: v for k, v in row.items() if k != "sps"} for row in csv.DictReader(handle)]


def _weights(folder):
    import torch

    return torch.load(folder / "checkpoint.pt", weights_only=True)["agent"]


def test_ctrl_c_saves_prints_the_resume_command_and_the_resumed_run_equals_the_uninterrupted_one(tmp_path):
    argv = ["train", "--total-steps", str(32 * 60), "--difficulty", "simple", *TINY]
    whole = cli(*argv, "--log-dir", "whole", cwd=tmp_path)
    assert whole.returncode == 0, whole.stderr

    # A shell's background job starts with SIGINT ignored, which Python then keeps: give the child
    # the default disposition so that it installs its KeyboardInterrupt handler wherever the tests run.
    process = subprocess.Popen([sys.executable, "-m", "empathy_gym.cli", *argv, "--log-dir", "cut"], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    progress = tmp_path / "cut" / "progress.csv"
    # Interrupt as soon as the first update is logged: on a busy machine a later cue can come
    # after the run has already finished.
    while process.poll() is None and not (progress.exists() and len(progress.read_text().splitlines()) > 1):
        time.sleep(0.02)
    assert process.poll() is None, "the run ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=600)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    last = err.replace("\r", "\n").strip().splitlines()[-1]
    assert last.startswith("interrupted: saved update") and "empathy-gym train --resume cut/checkpoint.pt" in last

    resumed = cli(*last.split("continue with: empathy-gym ")[1].split(), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert _rows(tmp_path / "cut") == _rows(tmp_path / "whole")
    ours, theirs = _weights(tmp_path / "cut"), _weights(tmp_path / "whole")
    assert all(bool((ours[key] == theirs[key]).all()) for key in theirs)


def test_resume_extends_the_run_to_a_larger_total(earlier_run, tmp_path):
    import shutil

    shutil.copytree(earlier_run / "r1", tmp_path / "r1")
    result = cli("train", "--resume", "r1/checkpoint.pt", "--total-steps", "128", "--eval-seeds", "0", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "after update 2" in result.stdout and "128 steps = 4 updates" in result.stdout
    rows = _rows(tmp_path / "r1")
    assert [int(row["update"]) for row in rows] == [1, 2, 3, 4]
    assert rows[:2] == _rows(earlier_run / "r1")


def test_train_saves_the_comparison_table_in_the_run_folder(tmp_path, capsys):
    log_dir = tmp_path / "run"
    assert main(["train", "--difficulty", "simple", "--total-steps", "64", "--num-envs", "2", "--num-steps", "32",
                 "--log-dir", str(log_dir)]) == 0
    out = capsys.readouterr().out
    assert "ppo (this run)" in out and "of the gap between random and the oracle" in out
    saved = (log_dir / "comparison.md").read_text()
    assert "| ppo (this run)" in saved and "t-based 95% CI" in saved
    scores = json.loads((log_dir / "comparison.json").read_text())["scores"]["simple (test)"]
    assert scores["oracle"]["mean_final_emotion"] > scores["random"]["mean_final_emotion"]


def test_help_names_every_ppo_setting_the_env_ids_and_defaults(tmp_path):
    result = cli("train", "--help", cwd=tmp_path)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for field in fields(PPOConfig):
        option = "--env" if field.name == "env_id" else "--" + field.name.replace("_", "-")
        assert option in text, option
    assert "EmpathyGym/SupportStrategyChallenging-v0" in text and "(default: 300000)" in text
    assert "``" not in cli("--help", cwd=tmp_path).stdout
    version = cli("--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("empathy-gym 0.")


def test_references_prints_a_table_and_writes_json(tmp_path, capsys):
    out = tmp_path / "scores.json"
    assert main(["references", "--presets", "normal", "--policies", "random", "oracle", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| oracle " in printed and "| random " in printed and "t-based 95% CI" in printed
    scores = json.loads(out.read_text())["scores"]["normal"]
    assert scores["oracle"]["mean_final_emotion"] > scores["random"]["mean_final_emotion"]


def test_play_lets_a_person_type_replies_and_sums_up(monkeypatch, capsys):
    replies = iter(["That sounds exhausting. What happened?", "It makes sense you feel that way.", ""])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(replies))
    assert main(["play", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "USER  [" in out and "S = 100 resolved" in out and "emotion 40 -> " in out and "in 2 turn(s)" in out


def test_play_watches_a_reference_policy_to_the_end(capsys):
    assert main(["play", "--policy", "oracle", "--difficulty", "simple", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "== ended:" in out and "the hidden intention was:" in out and "(resolved (reached 100)" in out


def test_play_watches_a_trained_checkpoint(earlier_run, capsys):
    assert main(["play", "--checkpoint", str(earlier_run / "r1" / "checkpoint.pt"), "--seed", "2"]) == 0
    assert "the hidden intention was:" in capsys.readouterr().out


def test_ctrl_c_in_play_ends_quietly_with_a_summary(monkeypatch, capsys):
    def interrupt(prompt=""):
        raise KeyboardInterrupt

    monkeypatch.setattr("builtins.input", interrupt)
    assert main(["play", "--seed", "3"]) == 130
    assert "stopped (Ctrl-C)" in capsys.readouterr().out
