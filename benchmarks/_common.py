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


def esconv_windows(path: Path):
    """Each ESConv window of ``path`` (line number, its utterances as (index, speaker, text)), blank lines skipped.

    A line is utterances joined by `` EOS ``, each ``WEIGHT SPEAKER INDEX TEXT`` (speaker ``"0"``
    the seeker, ``"1"`` the supporter, whose text opens with its ``[label]``).
    """
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        utterances = []
        for part in line.split(" EOS "):
            fields = part.strip().split(" ", 3)
            if len(fields) < 4 or fields[1] not in ("0", "1") or not fields[2].isdigit():
                raise ValueError(f"{path}:{number}: an utterance must read 'WEIGHT SPEAKER INDEX TEXT', got {part[:60]!r}")
            utterances.append((int(fields[2]), fields[1], fields[3].strip()))
        yield number, utterances
