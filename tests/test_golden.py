"""Golden transcripts: a fixed set of seeds and actions must keep giving the stored conversations.

Any change to what the simulator says or how the emotion moves fails this test. When a change is
intended (and the benchmarks are rerun), regenerate the file and review its diff:

    EMPATHY_GYM_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py
"""

import json
import math
import os
from pathlib import Path

from test_determinism import SCRIPT

GOLDEN = Path(__file__).parent / "golden" / "transcripts.json"


def _current() -> list:
    namespace = {}
    exec(SCRIPT.replace("print(json.dumps(runs, sort_keys=True))", "result = json.dumps(runs, sort_keys=True)"), namespace)
    return json.loads(namespace["result"])


def _differences(stored, current, path="runs"):
    """Where two JSON trees differ; floats may differ in the last bits between CPUs' maths libraries."""
    if isinstance(stored, float) or isinstance(current, float):
        if not (isinstance(stored, (int, float)) and isinstance(current, (int, float))
                and math.isclose(stored, current, rel_tol=1e-9, abs_tol=1e-9)):
            yield f"{path}: {stored!r} != {current!r}"
    elif isinstance(stored, dict) and isinstance(current, dict):
        if set(stored) != set(current):
            yield f"{path}: keys {sorted(set(stored) ^ set(current))} differ"
        for key in sorted(set(stored) & set(current)):
            yield from _differences(stored[key], current[key], f"{path}.{key}")
    elif isinstance(stored, list) and isinstance(current, list):
        if len(stored) != len(current):
            yield f"{path}: length {len(stored)} != {len(current)}"
        for index, (a, b) in enumerate(zip(stored, current)):
            yield from _differences(a, b, f"{path}[{index}]")
    elif stored != current:
        yield f"{path}: {stored!r} != {current!r}"


def test_transcripts_match_the_stored_golden_file():
    current = _current()
    if os.environ.get("EMPATHY_GYM_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(current, sort_keys=True, indent=0) + "\n", encoding="utf-8")
    stored = json.loads(GOLDEN.read_text(encoding="utf-8"))
    differences = list(_differences(stored, current))
    assert not differences, f"{len(differences)} differences, first: {differences[:5]}"


def test_the_comparison_catches_a_changed_word_and_a_changed_emotion():
    stored = _current()[:1]
    changed = json.loads(json.dumps(stored))
    changed[0]["transcript"][1]["text"] += " (changed)"
    changed[0]["steps"][1][4]["emotion"] += 1
    assert len(list(_differences(stored, changed))) == 2
    assert not list(_differences(stored, json.loads(json.dumps(stored))))
