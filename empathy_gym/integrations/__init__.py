"""Integrations (layer 5): adapters between the EmpathyGym environments and other RL libraries.

:mod:`empathy_gym.integrations.sb3` connects stable-baselines3 (``pip install stable-baselines3``,
or the ``sb3`` extra): :func:`~empathy_gym.integrations.sb3.make_sb3_env` builds a featurised env
that ``MultiInputPolicy`` accepts, and :class:`~empathy_gym.integrations.sb3.SB3Policy` plays a
trained model through :func:`empathy_gym.evaluation.evaluate`. The optional library is imported
only where it is needed, so this package imports without it.
"""
