"""Same seed and same actions give identical transcripts, emotions and infos, in any process."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import gymnasium as gym

import empathy_gym  # noqa: F401

SCRIPT = textwrap.dedent(
    """
    import json
    import gymnasium as gym
    import numpy as np
    import empathy_gym

    def plain(value):
        if isinstance(value, np.ndarray):
            return value.tolist()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, np.generic):
            return value.item()
        return value

    def play(env_id, actions, seed, difficulty):
        env = gym.make(env_id, difficulty=difficulty, emotion_obs="noisy")
        steps = [plain(env.reset(seed=seed))]
        for action in actions:
            obs, reward, terminated, truncated, info = env.step(action)
            steps.append(plain([obs, reward, terminated, truncated, info]))
            if terminated or truncated:
                obs, info = env.reset()
                steps.append(plain([obs, info]))
        return {"steps": steps, "transcript": env.unwrapped.transcript}

    replies = ["That sounds so hard.", "What happened after that?", "It was not your fault.",
               "You handled that with real care.", "Maybe try talking to them tomorrow?"] * 4
    runs = [play("EmpathyGym/SupportStrategy-v0", [i % 15 for i in range(25)], seed, d)
            for seed in (0, 7) for d in ("normal", "challenging", 0.2)]
    runs += [play("EmpathyGym/Support-v0", replies, seed, "normal") for seed in (3, 4)]
    print(json.dumps(runs, sort_keys=True))
    """
)


def _run_in_subprocess(hash_seed="0"):
    root = Path(__file__).resolve().parents[1]
    # Different hash seeds change set and dict-of-str iteration orders; transcripts must not change.
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, cwd=root, env=env)
    return json.loads(out.stdout)


def test_two_processes_give_identical_transcripts_and_infos():
    first, second = _run_in_subprocess("1"), _run_in_subprocess("2")
    assert first == second
    assert len(first) == 8 and all(len(run["steps"]) > 10 for run in first)


def test_in_process_run_matches_a_fresh_process():
    namespace = {}
    exec(SCRIPT.replace("print(json.dumps(runs, sort_keys=True))", "result = json.dumps(runs, sort_keys=True)"), namespace)
    assert json.loads(namespace["result"]) == _run_in_subprocess()


def test_different_seeds_give_different_conversations():
    env = gym.make("EmpathyGym/SupportStrategy-v0")
    texts = set()
    for seed in range(5):
        env.reset(seed=seed)
        for action in (0, 2, 1):
            env.step(action)
        texts.add(json.dumps(env.unwrapped.transcript))
    assert len(texts) == 5
