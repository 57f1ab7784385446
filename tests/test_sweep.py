"""The difficulty sweep: conditions, aggregation, and the `empathy-gym sweep --quick` smoke run."""

import json
import math
import os
import subprocess
import sys

import pytest

from empathy_gym import cli
from empathy_gym.model.difficulty import PRESETS, Difficulty
from empathy_gym import sweep
from empathy_gym.agents.config import PPOConfig
from empathy_gym.sweep import aggregate, axis_position, conditions, t95


def test_conditions_cover_levels_every_axis_the_grid_curricula_and_the_seeker():
    by_group = {}
    for condition in conditions():
        by_group.setdefault(condition.group, []).append(condition)
    assert [c.difficulty for c in by_group["level"]] == [0.0, 0.25, 0.5, 0.75, 1.0]
    # the presets are levels 0, 0.5 and 1
    assert [Difficulty.from_level(level) for level in (0.0, 0.5, 1.0)] == [PRESETS[p] for p in PRESETS]
    assert sweep.SINGLE_AXES == ("strictness", "reticence", "fragility", "noise", "fidelity")
    for axis in sweep.SINGLE_AXES:
        values = [c.difficulty[axis] for c in by_group[axis]]
        assert values == [getattr(PRESETS["simple"], axis), getattr(PRESETS["challenging"], axis)]
        assert values[0] != values[1]
        assert [c.x for c in by_group[axis]] == [0.0, 1.0]
        assert 0.0 < axis_position(axis, getattr(PRESETS["normal"], axis)) < 1.0
    corners = by_group[sweep.GRID_GROUP]
    assert [c.difficulty for c in corners] == [
        {"strictness": s, "fidelity": f} for s in (0.1, 0.95) for f in (0.95, 0.75)]
    assert [c.curriculum for c in by_group["curriculum"]] == ["ramp", "adaptive", "bandit"]
    assert [c.name for c in by_group["seeker"]] == ["seeker=regret"]
    assert len({c.name for c in conditions()}) == len(conditions())


def test_the_grid_map_names_a_condition_for_every_cell_trained_at_those_two_values():
    known = {c.name: c for c in conditions()}
    cells = sweep.grid_cells()
    assert len(cells) == 9 and len(set(cells.values())) == 9
    for (a, b), name in cells.items():
        condition = known[name]
        difficulty = (Difficulty.from_level(condition.difficulty) if condition.group == "level"
                      else Difficulty.from_mapping(condition.difficulty))
        assert (difficulty.strictness, difficulty.fidelity) == (PRESETS[a].strictness, PRESETS[b].fidelity)
        # every other axis stays at normal
        assert difficulty.reticence == PRESETS["normal"].reticence and difficulty.noise == PRESETS["normal"].noise


def test_curve_budgets_are_those_an_update_reaches_before_the_last():
    assert sweep.curve_budgets(6144, (2048, 4096, 6144, 9000, 0)) == [2048, 4096]
    assert sweep.curve_budgets(100_000, (50_000, 25_000, 25_000)) == [25_000, 50_000]
    assert sweep.curve_budgets(2048, (1024,)) == []


def test_t_quantiles():
    assert t95(4) == pytest.approx(2.776, abs=1e-3)
    assert t95(100) == pytest.approx(1.984, abs=1e-3)  # not the normal's 1.96
    # No jump where a hand-written table would end: t falls smoothly from 30 to 31 degrees of freedom.
    assert 0 < t95(30) - t95(31) < 0.005
    assert math.isnan(t95(0))


def test_aggregate_uses_a_t_interval_over_seeds():
    def record(seed, score):
        cell = {"mean_final_emotion": score, "ci95": 1.0, "success_rate": 0.1, "failure_rate": 0.0,
                "mean_entropy": 1.0, "per_intention": {}, "strategy_distribution": {}}
        return {"condition": "level=0.50", "group": "level", "seed": seed, "train_seconds": 1.0, "eval_seconds": 1.0,
                "cells": {"test/normal": cell},
                "curve": {"global_step": [1, 2], "entropy": [2.0, 1.0], "mean_final_emotion": [50, 60],
                          "curriculum_level": [math.nan, math.nan]}}

    summary = aggregate([record(1, 60.0), record(2, 64.0), record(3, 68.0)])
    cell = summary["level=0.50"]["cells"]["test/normal"]
    assert cell["mean"] == pytest.approx(64.0)
    assert cell["ci95"] == pytest.approx(4.303 * 4.0 / math.sqrt(3), rel=1e-4)  # t(0.975, 2) = 4.3027
    assert summary["level=0.50"]["curve"]["entropy"] == [2.0, 1.0]


def test_quick_sweep_smoke_writes_table_and_plots_and_resumes(tmp_path, capsys):
    argv = ["sweep", "--quick", "--total-steps", "4096", "--curve-steps", "2048", "--seeds", "1", "--workers", "1",
            "--conditions", "level=0.50", "strictness=0.1,fidelity=0.75", "--out", str(tmp_path)]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "0 run(s) already done, 2 to go" in out
    table = (tmp_path / "sweep.md").read_text()
    assert "| level=0.50 " in table and "| strictness=0.1,fidelity=0.75 " in table and "oracle (reference)" in table
    assert "Learning curves, test/normal" in table and "Strictness x fidelity" in table
    assert "episodes with a rise %" in table
    for name in ("score_vs_difficulty.png", "entropy.png", "learning_curves.png", "strictness_fidelity.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((tmp_path / "sweep.json").read_text())
    assert set(saved["conditions"]["level=0.50"]["cells"]) == {"test/normal", "test/challenging", "ood/normal",
                                                               "ood/challenging"}
    assert saved["meta"]["total_steps"] == 4096 and saved["meta"]["curve_steps"] == [2048]
    # every run records the agent it trained: today's PPOConfig defaults
    defaults = PPOConfig()
    assert saved["meta"]["agent_settings"]["hidden_sizes"] == list(defaults.hidden_sizes)
    record = json.loads((tmp_path / "runs" / "level=0.50-seed1.json").read_text())
    assert (record["hidden_sizes"], record["text_memory"]) == (list(defaults.hidden_sizes), defaults.text_memory)
    # the learning curve: scored after the first update that reached 2048 steps, then the final evaluation
    assert [(p["budget"], p["step"]) for p in record["checkpoints"]] == [(2048, 2048), (4096, 4096)]
    assert set(record["checkpoints"][0]["cells"]) == set(sweep.CURVE_CELLS)
    assert record["checkpoints"][-1]["cells"]["test/normal"] == record["cells"]["test/normal"]["mean_final_emotion"]
    assert record["user"] == saved["meta"]["user"] == sweep.user_fingerprint()
    assert all(0.0 <= share <= 1.0 for share in record["curve"]["signal_share"] if share == share)
    # a rerun finds every run and trains nothing
    assert cli.main(argv) == 0
    assert "2 run(s) already done, 0 to go" in capsys.readouterr().out
    # another budget in the same folder is refused in one line, and nothing there changes
    before = {path.name: path.read_bytes() for path in sorted(tmp_path.rglob("*")) if path.is_file()}
    for other in (["--curve-steps", "1024"], ["--total-steps", "6144"]):
        changed = list(argv)
        index = changed.index(other[0])
        changed[index + 1] = other[1]
        assert cli.main(changed) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "2 run(s)" in err[0] and "another budget" in err[0] and "--out" in err[0]
    # so is another agent: the first sweep's cannot resume over runs of today's
    assert cli.main(argv + ["--agent", "first-sweep"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "another agent" in err[0] and "'first-sweep'" in err[0] and "[64, 64]" in err[0]
    assert {path.name: path.read_bytes() for path in sorted(tmp_path.rglob("*")) if path.is_file()} == before


def test_the_first_sweeps_agent_trains_with_its_hidden_layers_and_text_memory(monkeypatch, tmp_path):
    from empathy_gym.agents import ppo

    seen = []

    class Stop(Exception):
        pass

    def fake_train(config, **kwargs):
        seen.append(config)
        raise Stop

    monkeypatch.setattr(ppo, "train", fake_train)
    condition = next(c for c in conditions() if c.name == "level=1.00")
    for agent in ("first-sweep", "reference"):
        with pytest.raises(Stop):
            sweep.train_and_evaluate(condition, 4, 4096, (0,), agent=agent)
    first, today = seen
    assert (first.hidden_sizes, first.text_memory) == ((64, 64), True)
    assert (today.hidden_sizes, today.text_memory) == (PPOConfig().hidden_sizes, PPOConfig().text_memory)
    # everything else is the same agent, on the same condition and seed
    assert {k: v for k, v in vars(first).items() if k not in ("hidden_sizes", "text_memory")} == \
        {k: v for k, v in vars(today).items() if k not in ("hidden_sizes", "text_memory")}
    with pytest.raises(ValueError, match=r"unknown agent 'tiny'; allowed: reference, first-sweep"):
        sweep.run_sweep(tmp_path, seeds=(1,), total_steps=4096, eval_seeds=(0,), agent="tiny")
    assert not (tmp_path / "runs").exists()


def test_a_run_scored_along_its_curve_trains_exactly_as_one_that_is_not():
    condition = next(c for c in conditions() if c.name == "level=1.00")
    scored = sweep.train_and_evaluate(condition, 3, 6144, (0,), curve_steps=(2048, 4096))
    plain = sweep.train_and_evaluate(condition, 3, 6144, (0,))
    # the same training and final scores: a rerun of a run reproduces its record, and scoring does not disturb it
    assert json.dumps(scored["curve"]) == json.dumps(plain["curve"])
    assert json.dumps(scored["cells"]) == json.dumps(plain["cells"])
    assert [p["budget"] for p in scored["checkpoints"]] == [2048, 4096, 6144]
    assert [p["budget"] for p in plain["checkpoints"]] == [6144]


def test_the_regret_seeker_condition_gives_the_supporter_the_fixed_users_budget():
    condition = next(c for c in conditions() if c.name == "seeker=regret")
    record = sweep.train_and_evaluate(condition, 1, 2048 * 2, (0,))  # two rounds of one update each
    fixed = sweep.train_and_evaluate(next(c for c in conditions() if c.name == "level=0.50"), 1, 2048 * 2, (0,))
    assert record["curve"]["global_step"] == fixed["curve"]["global_step"] == [2048, 4096]
    assert record["cells"]["test/normal"]["mean_final_emotion"] > 0


def test_sweep_refuses_unknown_conditions(tmp_path):
    with pytest.raises(SystemExit):
        cli.main(["sweep", "--conditions", "hardest", "--out", str(tmp_path)])


def test_the_user_fingerprint_follows_the_users_behaviour_and_nothing_else():
    here = sweep.user_fingerprint()
    assert len(here) == 16 and int(here, 16) >= 0
    # another reading of the same replies is another user
    assert sweep.user_fingerprint({"reader": "cues"}) != here
    # the same user in another process, under another hash seed, has the same fingerprint
    script = "from empathy_gym.sweep import user_fingerprint; print(user_fingerprint())"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONHASHSEED": "123"})
    assert out.stdout.strip() == here


def test_a_sweep_refuses_to_resume_over_runs_of_another_user_and_leaves_them_untouched(tmp_path, capsys):
    runs = tmp_path / "runs"
    runs.mkdir()
    other = {"condition": "level=0.50", "seed": 1, "total_steps": 4096, "curve_steps": [], "user": "0123456789abcdef"}
    (runs / "level=0.50-seed1.json").write_text(json.dumps(other), encoding="utf-8")
    (runs / "level=1.00-seed1.json").write_text(json.dumps({**other, "condition": "level=1.00"}), encoding="utf-8")
    before = {path.name: path.read_bytes() for path in sorted(tmp_path.rglob("*")) if path.is_file()}
    argv = ["sweep", "--total-steps", "4096", "--curve-steps", "--seeds", "1", "--workers", "1",
            "--conditions", "level=0.50", "--out", str(tmp_path)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "1 run(s)" in err[0] and "level=0.50-seed1.json" in err[0]
    assert sweep.user_fingerprint() in err[0] and "another simulated user" in err[0]
    assert {path.name: path.read_bytes() for path in sorted(tmp_path.rglob("*")) if path.is_file()} == before
    # a record with no fingerprint at all (made before runs carried one) is refused the same way
    del other["user"]
    (runs / "level=0.50-seed1.json").write_text(json.dumps(other), encoding="utf-8")
    assert cli.main(argv) == 2
    assert "another simulated user" in capsys.readouterr().err


def test_a_run_trained_again_in_another_process_reproduces_its_record_except_the_timings():
    # the acceptance check of a resumable sweep: rerunning one run (here on a tiny budget, the
    # adaptive curriculum so the level moves too) gives the same record in a fresh process
    condition = next(c for c in conditions() if c.name == "curriculum=adaptive")
    here = sweep.train_and_evaluate(condition, 2, 4096, (0,), curve_steps=(2048,))
    script = ("import json; from empathy_gym import sweep\n"
              "c = next(c for c in sweep.conditions() if c.name == 'curriculum=adaptive')\n"
              "print(json.dumps(sweep.train_and_evaluate(c, 2, 4096, (0,), curve_steps=(2048,))))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONHASHSEED": "321"})
    there = json.loads(out.stdout.strip().splitlines()[-1])
    timings = ("train_seconds", "eval_seconds")
    assert all(there[key] > 0 for key in timings)
    assert json.dumps({k: v for k, v in there.items() if k not in timings}) == \
        json.dumps({k: v for k, v in json.loads(json.dumps(here)).items() if k not in timings})
    # and a different seed is a different run (the comparison above can fail)
    other = sweep.train_and_evaluate(condition, 3, 4096, (0,), curve_steps=(2048,))
    assert other["curve"]["entropy"] != here["curve"]["entropy"]
