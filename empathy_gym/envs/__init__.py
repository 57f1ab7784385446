"""The Gymnasium environments (layer 3): EmpathyEnv (text replies) and EmpathyStrategyEnv (strategy indices)."""

from empathy_gym.envs.registration import ENVIRONMENTS, env_ids, register_environments
from empathy_gym.envs.support import EmpathyEnv, EpisodeEndedError
from empathy_gym.envs.support_strategy import EmpathyStrategyEnv

__all__ = ["EmpathyEnv", "EmpathyStrategyEnv", "EpisodeEndedError", "ENVIRONMENTS", "env_ids", "register_environments"]
