"""Integrations (layer 5): adapters between the EmpathyGym environments and other RL libraries.

:mod:`empathy_gym.integrations.sb3` connects stable-baselines3 (``pip install stable-baselines3``,
or the ``sb3`` extra): :func:`~empathy_gym.integrations.sb3.make_sb3_env` builds a featurised env
that ``MultiInputPolicy`` accepts, and :class:`~empathy_gym.integrations.sb3.SB3Policy` plays a
trained model through :func:`empathy_gym.evaluation.evaluate`.

:mod:`empathy_gym.integrations.rllib` connects Ray RLlib (the ``rllib`` extra, in its own virtual
environment: ``constraints-rllib.txt``): registered single- and multi-agent env creators, PPO
configs with the bundled agent's hyperparameters, and :class:`~empathy_gym.integrations.rllib.RLlibPolicy`
for ``evaluate``. :mod:`empathy_gym.integrations.ray_sweep` runs the difficulty sweep's runs as Ray
tasks (``empathy-gym sweep --ray``, the ``ray`` extra).

Language-model policies: :mod:`empathy_gym.integrations.trl` is a multi-turn rollout for TRL's
``GRPOTrainer(rollout_func=...)`` (the ``trl`` extra): one whole conversation per prompt, the
user's turns masked out of the loss, the env's episode return as the reward, with
:func:`~empathy_gym.integrations.trl.prompt_dataset` for the prompts.
:mod:`empathy_gym.integrations.verl` is verl's multi-turn ``BaseInteraction`` played by an env
(the ``verl`` extra, verl 0.7 in its own virtual environment: ``constraints-verl.txt``).

The optional libraries are imported only where they are needed, so this package imports without them.
"""
