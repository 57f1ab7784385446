"""The difficulty sweep's runs as Ray tasks (``empathy-gym sweep --ray``): records equal a local run's.

Runs where ray is installed (the RLlib virtual environment in CI); skipped elsewhere. The module
starts and shuts down one local Ray cluster of its own, which the sweep finds already running.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("ray", reason="needs ray: pip install '.[ray]'")
pytest.importorskip("torch")

from empathy_gym import sweep  # noqa: E402
from empathy_gym.integrations.ray_sweep import connect  # noqa: E402

from ray_cluster import local_ray  # noqa: E402

TINY = {"seeds": (1,), "total_steps": 512, "eval_seeds": (0,), "only": ["level=0.00", "strictness=0.95"]}
#: Wall-clock times, the only fields that differ between two runs of the same seed.
TIMINGS = ("train_seconds", "eval_seconds")


@pytest.fixture(scope="module")
def cluster():
    with local_ray(num_cpus=2) as info:
        yield info


def _without_timings(records):
    return [{key: value for key, value in record.items() if key not in TIMINGS} for record in records]


def test_the_ray_sweep_equals_the_local_sweep_record_for_record_and_resumes(cluster, tmp_path):
    local = sweep.run_sweep(tmp_path / "local", workers=1, progress=lambda line: None, **TINY)
    lines: list[str] = []
    remote = sweep.run_sweep(tmp_path / "ray", ray_address="auto", progress=lines.append, **TINY)
    assert [(r["condition"], r["seed"]) for r in remote] == [("level=0.00", 1), ("strictness=0.95", 1)]
    assert json.dumps(_without_timings(remote)) == json.dumps(_without_timings(local))
    # Written by the driver as each task finished, so a rerun has nothing left to do.
    saved = sorted(path.name for path in (tmp_path / "ray" / "runs").iterdir())
    assert saved == ["level=0.00-seed1.json", "strictness=0.95-seed1.json"]
    assert lines[0].startswith("0 run(s) already done, 2 to go")
    again: list[str] = []
    sweep.run_sweep(tmp_path / "ray", ray_address="auto", progress=again.append, **TINY)
    assert again == ["2 run(s) already done, 0 to go (2 conditions x 1 seeds, 512 steps each, agent 'reference', 1 worker(s))"]


def test_the_command_line_takes_ray_with_or_without_an_address():
    parser = sweep.build_parser()
    assert parser.parse_args(["--ray"]).ray == "local"
    assert parser.parse_args(["--ray", "auto"]).ray == "auto"
    assert parser.parse_args(["--ray", "10.0.0.5:6379"]).ray == "10.0.0.5:6379"
    assert parser.parse_args([]).ray is None


def test_a_blank_ray_address_is_refused_by_name():
    with pytest.raises(ValueError, match="the Ray address must be 'local', 'auto' or HOST:PORT"):
        with connect(" "):
            pass
