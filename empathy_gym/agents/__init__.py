"""Agents (layer 5): learning agents that train on the EmpathyGym environments.

:mod:`empathy_gym.agents.ppo` is the PPO reference agent (CleanRL style, one readable module). It
needs torch (``pip install "empathy_gym[train]"``), so this package does not import it: use
``from empathy_gym.agents.ppo import PPOConfig, train``.
"""
