"""The difficulty sweep: conditions, aggregation, and the `empathy-gym sweep --quick` smoke run."""

import json
import math

import pytest

from empathy_gym import cli
from empathy_gym.model.difficulty import PRESETS, Difficulty
from empathy_gym import sweep
from empathy_gym.sweep import aggregate, axis_position, conditions, t95


def test_conditions_cover_levels_single_axes_and_curricula():
    by_group = {}
    for condition in conditions():
        by_group.setdefault(condition.group, []).append(condition)
    assert [c.difficulty for c in by_group["level"]] == [0.0, 0.25, 0.5, 0.75, 1.0]
    # the presets are levels 0, 0.5 and 1
    assert [Difficulty.from_level(level) for level in (0.0, 0.5, 1.0)] == [PRESETS[p] for p in PRESETS]
    for axis in ("strictness", "reticence", "fidelity"):
        values = [c.difficulty[axis] for c in by_group[axis]]
        assert values == [getattr(PRESETS["simple"], axis), getattr(PRESETS["challenging"], axis)]
        assert [c.x for c in by_group[axis]] == [0.0, 1.0]
        assert 0.0 < axis_position(axis, getattr(PRESETS["normal"], axis)) < 1.0
    assert [c.curriculum for c in by_group["curriculum"]] == ["ramp", "adaptive", "bandit"]
    assert len({c.name for c in conditions()}) == len(conditions())


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
    argv = ["sweep", "--quick", "--total-steps", "512", "--seeds", "1", "--workers", "1",
            "--conditions", "level=0.50", "curriculum=adaptive", "--out", str(tmp_path)]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "0 run(s) already done, 2 to go" in out
    table = (tmp_path / "sweep.md").read_text()
    assert "| level=0.50 " in table and "| curriculum=adaptive " in table and "oracle (reference)" in table
    for name in ("score_vs_difficulty.png", "entropy.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((tmp_path / "sweep.json").read_text())
    assert set(saved["conditions"]["level=0.50"]["cells"]) == {"test/normal", "test/challenging", "ood/normal",
                                                               "ood/challenging"}
    assert saved["meta"]["total_steps"] == 512
    assert saved["meta"]["agent_settings"] == {"hidden_sizes": [64, 64], "text_memory": True}
    # every run records the agent it trained: the sweep's own settings, not whatever PPOConfig defaults to now
    record = json.loads((tmp_path / "runs" / "level=0.50-seed1.json").read_text())
    settings = sweep.AGENT_SETTINGS
    assert (record["hidden_sizes"], record["text_memory"]) == ([64, 64], True) == (
        list(settings["hidden_sizes"]), settings["text_memory"])
    # a rerun finds both runs and trains nothing
    assert cli.main(argv) == 0
    assert "2 run(s) already done, 0 to go" in capsys.readouterr().out


def test_sweep_refuses_unknown_conditions(tmp_path):
    with pytest.raises(SystemExit):
        cli.main(["sweep", "--conditions", "hardest", "--out", str(tmp_path)])
