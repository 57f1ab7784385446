"""The registry of simulated-user kinds: a name for each kind, and how to build one.

The environments, the vector envs, the command line and the README's tables take the kinds from
here. Two kinds ship with the package:

| kind | user | options |
| --- | --- | --- |
| ``parametric`` | :class:`~empathy_gym.model.parametric.ParametricUser` (default) | ``reader`` |
| ``llm`` | :class:`~empathy_gym.model.llm.user.LLMUser` (imported only when used) | ``backend`` (required), ``analysis_retries``, ``analysis_tokens``, ``reply_tokens``, ``max_change`` |

A factory is a callable, or a ``"module:attribute"`` string imported on first use (so a heavy
kind costs nothing until it is chosen). :func:`make_user` checks the options against the
factory's signature and names what is allowed.

Adding a kind from outside the package::

    from empathy_gym.model.user_kinds import register_user_kind
    register_user_kind("stubborn", StubbornUser, "never moves more than a point")
    env = gym.make("EmpathyGym/Support-v0", user="stubborn")

or, without registering, ``gym.make("EmpathyGym/Support-v0", user=StubbornUser)`` (any callable
that returns a :class:`~empathy_gym.model.user.SimulatedUser`).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Union

from empathy_gym.model.user import SimulatedUser

UserFactory = Callable[..., SimulatedUser]
#: What ``user=`` accepts: a registered kind's name, or a factory (a SimulatedUser subclass or a callable).
UserSpec = Union[str, UserFactory]


@dataclass(frozen=True)
class UserKind:
    """One registered kind of simulated user."""

    name: str
    factory: str | UserFactory  # a callable, or "module:attribute" imported on first use
    description: str

    def resolve(self) -> UserFactory:
        """The factory itself (importing its module if it was given by name)."""
        if not isinstance(self.factory, str):
            return self.factory
        module, _, attribute = self.factory.partition(":")
        return getattr(importlib.import_module(module), attribute)

    def options(self) -> tuple[str, ...] | None:
        """The keyword options the factory takes (None when it takes any)."""
        return _keyword_options(self.resolve())


_KINDS: dict[str, UserKind] = {}


def register_user_kind(name: str, factory: str | UserFactory, description: str = "", *,
                       replace: bool = False) -> UserKind:
    """Register a kind of simulated user under ``name`` (``replace=True`` to register a name again)."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"a user kind's name must be an identifier such as 'parametric', got {name!r}")
    if isinstance(factory, str):
        if ":" not in factory:
            raise ValueError(f"a factory given by name must read 'module:attribute', got {factory!r}")
    elif not callable(factory):
        raise TypeError(f"factory must be callable or a 'module:attribute' string, got {type(factory).__name__}")
    if name in _KINDS and not replace:
        raise ValueError(f"user kind {name!r} is already registered; pass replace=True to register it again")
    kind = UserKind(name, factory, description)
    _KINDS[name] = kind
    return kind


def user_kinds() -> tuple[str, ...]:
    """The names of every registered kind, in order of registration."""
    return tuple(_KINDS)


def user_kind(name: str) -> UserKind:
    """The registered kind called ``name``; a clear error lists the registered ones."""
    if name not in _KINDS:
        raise ValueError(f"user must be one of {', '.join(map(repr, _KINDS))} (the registered kinds) or a "
                         f"callable that returns a SimulatedUser; got {name!r}")
    return _KINDS[name]


def make_user(user: UserSpec, options: Mapping[str, Any] | None = None) -> SimulatedUser:
    """A new simulated user of ``user`` (a registered name or a factory) built with ``options``."""
    options = dict(options or {})
    if isinstance(user, str):
        name, factory = user, user_kind(user).resolve()
    elif callable(user):
        name, factory = getattr(user, "__name__", type(user).__name__), user
    else:
        raise TypeError(f"user must be a registered kind ({', '.join(map(repr, _KINDS))}) or a callable that "
                        f"returns a SimulatedUser, got {type(user).__name__}")
    allowed = _keyword_options(factory)
    unknown = sorted(set(options) - set(allowed)) if allowed is not None else []
    if unknown:
        takers = [kind for kind in _KINDS if kind != name and _takes(kind, unknown)]
        hint = f"; {', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} for " + " or ".join(
            f"user={kind!r}" for kind in takers) if takers else ""
        raise ValueError(f"user={name!r} takes no option {', '.join(map(repr, unknown))} (it takes "
                         f"{', '.join(allowed) or 'no options'}){hint}")
    built = factory(**options)
    if not isinstance(built, SimulatedUser):
        raise TypeError(f"user={name!r} built a {type(built).__name__}, not a SimulatedUser "
                        "(see empathy_gym.model.user)")
    return built


def _keyword_options(factory: UserFactory) -> tuple[str, ...] | None:
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: let it check its own options
        return None
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return None
    return tuple(p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


def _takes(kind: str, options: list[str]) -> bool:
    allowed = _KINDS[kind].options()
    return allowed is None or set(options) <= set(allowed)


register_user_kind("parametric", "empathy_gym.model.parametric:ParametricUser",
                   "the seeded, offline parametric model of a person (no model, no network)")
register_user_kind("llm", "empathy_gym.model.llm.user:make_llm_user",
                   "a language model plays the person (pass backend=)")
