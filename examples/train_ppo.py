"""Train the PPO reference agent briefly and compare it with random strategies on the test profiles.

Needs torch: pip install "empathy_gym[train]". A few thousand steps (seconds on one core) already
teach the agent to avoid the harmful strategies; train longer (``total_steps``) for more.
"""

import numpy as np

from empathy_gym.agents.ppo import PPOConfig, PPOPolicy, train
from empathy_gym.evaluation import evaluate
from empathy_gym.policies.reference import RandomPolicy

config = PPOConfig(difficulty="simple", num_envs=8, num_steps=64, total_steps=4096, learning_rate=1e-3, seed=1)
result = train(config)  # pass log_dir="runs/ppo" for a CSV (and TensorBoard if installed)
print(f"trained {result['global_step']} steps at {result['sps']:.0f} steps/s; "
      f"last update: mean return {result['mean_episode_return']:+.2f}, entropy {result['entropy']:.2f}")

_, trained = evaluate(PPOPolicy(result["agent"], config), difficulty="simple", split="test")
_, random = evaluate(RandomPolicy(rng=np.random.default_rng(0)), difficulty="simple", split="test")
for name, summary in (("ppo", trained), ("random", random)):
    print(f"{name:>6}: mean final emotion {summary['mean_final_emotion']:5.1f} ± {summary['ci95']:.1f}, "
          f"success {summary['success_rate']:.0%}, failure {summary['failure_rate']:.0%} (test profiles, simple)")
