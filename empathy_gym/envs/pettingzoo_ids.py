"""PettingZoo registry entries for the multi-agent envs, made when ``empathy_gym`` is imported.

The entry points are ``"module:function"`` strings, so registering imports neither the
multi-agent modules nor anything heavy: ``pettingzoo.make("parallel", "EmpathyGym/supporter_seeker_v0")``
works after ``import empathy_gym`` alone. Without PettingZoo installed this does nothing.
"""

from __future__ import annotations

NAMESPACE = "EmpathyGym"
#: The registered ids and the modules that make them.
MULTIAGENT_MODULES = {f"{NAMESPACE}/{name}": f"empathy_gym.envs.multiagent.{name}"
                      for name in ("supporter_seeker_v0", "support_group_v0")}


_registered = False


def register_pettingzoo_ids() -> None:
    """Register the AEC and parallel form of every multi-agent env once (if PettingZoo is installed)."""
    global _registered
    try:
        import pettingzoo
    except ImportError:
        return
    if _registered:  # the registry stores normalised ids, so asking it by ours would not tell
        return
    for env_id, module in MULTIAGENT_MODULES.items():
        for kind, function in (("aec", "env"), ("parallel", "parallel_env")):
            pettingzoo.register(kind, env_id, entry_point=f"{module}:{function}")
    _registered = True
