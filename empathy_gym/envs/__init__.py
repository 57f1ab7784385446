"""The Gymnasium environments (layer 3).

EmpathyEnv (text replies), EmpathyStrategyEnv (strategy indices), EmpathyVectorEnv (N conversations
whose LLM users share batched model calls).
"""

from empathy_gym.envs.registration import ENVIRONMENTS, env_ids, register_environments
from empathy_gym.envs.support import EmpathyEnv, EpisodeEndedError
from empathy_gym.envs.support_strategy import EmpathyStrategyEnv
from empathy_gym.envs.support_vector import EmpathyVectorEnv

__all__ = ["EmpathyEnv", "EmpathyStrategyEnv", "EmpathyVectorEnv", "EpisodeEndedError", "ENVIRONMENTS", "env_ids",
           "register_environments"]
