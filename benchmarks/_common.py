"""Shared by the benchmark scripts: where results go, a description of the machine, the PPO settings."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from empathy_gym._machine import machine  # noqa: F401  (re-exported for the scripts)

RESULTS = Path(__file__).parent / "results"


def config_record(config: Any) -> dict[str, Any]:
    """A ``PPOConfig``'s settings for a results file, without what differs per run (seed, budget)."""
    return {key: value for key, value in asdict(config).items() if key not in ("seed", "total_steps")}
