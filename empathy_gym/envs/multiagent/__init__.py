"""PettingZoo multi-agent environments (optional: ``pip install "empathy_gym[pettingzoo]"``).

* :mod:`~empathy_gym.envs.multiagent.supporter_seeker_v0`: one conversation, a learnable supporter
  and a learnable help-seeker (cooperative, adversarial or regret rewards).
* :mod:`~empathy_gym.envs.multiagent.support_group_v0`: one supporter, 2-4 help-seekers.

``import empathy_gym`` registers both with PettingZoo's registry under the ``EmpathyGym/`` namespace::

    import pettingzoo
    import empathy_gym

    env = pettingzoo.make("parallel", "EmpathyGym/supporter_seeker_v0", seeker_reward="regret")
"""

try:
    import pettingzoo
except ImportError as error:  # pragma: no cover - exercised only without pettingzoo
    raise ImportError(
        'the multi-agent environments need PettingZoo: pip install "empathy_gym[pettingzoo]"') from error

from empathy_gym.envs.multiagent import support_group_v0, supporter_seeker_v0
from empathy_gym.envs.multiagent.single_seat import SingleSeatEnv
from empathy_gym.envs.pettingzoo_ids import register_pettingzoo_ids

NAMESPACE = "EmpathyGym"
#: The registered ids and their modules.
MODULES = {f"{NAMESPACE}/supporter_seeker_v0": supporter_seeker_v0, f"{NAMESPACE}/support_group_v0": support_group_v0}


def register_multiagent_environments() -> None:
    """Register the AEC and parallel forms of every module once with PettingZoo's registry.

    ``import empathy_gym`` already does (:mod:`empathy_gym.envs.pettingzoo_ids`); this stays for callers.
    """
    register_pettingzoo_ids()


register_multiagent_environments()

__all__ = ["MODULES", "SingleSeatEnv", "register_multiagent_environments", "support_group_v0", "supporter_seeker_v0"]
