"""empathy_gym: simulated human users as Gymnasium environments for training empathetic dialogue agents.

Importing the package registers the ``EmpathyGym/`` ids with Gymnasium (and, when PettingZoo is
installed, the multi-agent ids with PettingZoo's registry)::

    import gymnasium as gym
    import empathy_gym

    env = gym.make("EmpathyGym/Support-v0", difficulty="challenging")
"""

from empathy_gym.envs.pettingzoo_ids import register_pettingzoo_ids
from empathy_gym.envs import EmpathyEnv, EmpathyStrategyEnv, EpisodeEndedError, env_ids, register_environments
from empathy_gym.model.difficulty import PRESETS, Difficulty, make_difficulty
from empathy_gym.profiles import Profile, ProfileError, load_profiles
from empathy_gym.vocabulary import INTENTIONS, STRATEGIES

__version__ = "0.2.0"

__all__ = [
    "Difficulty",
    "EmpathyEnv",
    "EmpathyStrategyEnv",
    "EpisodeEndedError",
    "INTENTIONS",
    "PRESETS",
    "Profile",
    "ProfileError",
    "STRATEGIES",
    "env_ids",
    "load_profiles",
    "make_difficulty",
    "register_environments",
]

register_environments()
register_pettingzoo_ids()
