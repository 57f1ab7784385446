"""Train stable-baselines3's PPO briefly and compare it with random strategies on the test profiles.

Needs stable-baselines3: pip install stable-baselines3 (or the sb3 extra). ``make_sb3_env`` turns
the dialogue observation into a Dict of float Boxes for ``MultiInputPolicy``; ``SB3Policy`` feeds the
trained model observations featurised the same way during evaluation. A few thousand steps (seconds
on one core) already lift the final emotion well above random; train longer for more.
"""

import numpy as np
import torch
from stable_baselines3 import PPO

from empathy_gym.evaluation import evaluate
from empathy_gym.integrations.sb3 import SB3Policy, make_sb3_env
from empathy_gym.policies.reference import RandomPolicy

threads = torch.get_num_threads()
torch.set_num_threads(1)  # small networks: one thread is fastest and reproducible
env = make_sb3_env(difficulty="simple", n_features=256)
model = PPO("MultiInputPolicy", env, n_steps=512, batch_size=128, n_epochs=4, learning_rate=1e-3,
            seed=0, device="cpu", verbose=0)
model.learn(total_timesteps=4096)
torch.set_num_threads(threads)
print(f"trained {model.num_timesteps} steps of SB3 PPO (MultiInputPolicy)")

_, trained = evaluate(SB3Policy(model), difficulty="simple", split="test")
_, random = evaluate(RandomPolicy(rng=np.random.default_rng(0)), difficulty="simple", split="test")
for name, summary in (("sb3", trained), ("random", random)):
    print(f"{name:>6}: mean final emotion {summary['mean_final_emotion']:5.1f} ± {summary['ci95']:.1f}, "
          f"success {summary['success_rate']:.0%}, failure {summary['failure_rate']:.0%} (test profiles, simple)")
