"""The difficulty sweep's runs as Ray tasks, on a local Ray or on a cluster (``empathy-gym sweep --ray``).

Each (condition, seed) run of :mod:`empathy_gym.sweep` is independent, so each becomes one Ray task
that asks for one CPU and calls :func:`empathy_gym.sweep.train_and_evaluate`, the very function a
local run calls. The task returns the run's record to the driver, which writes it to
``<out>/runs/`` as the task finishes (a cluster's workers need not share the driver's disk), so an
interrupted sweep resumes exactly as a local one does. A run trains with one torch thread and
draws every random number from its own seeds, so its record equals a local run's of the same
seed on the same kind of CPU (only ``train_seconds`` and ``eval_seconds`` differ).

Where Ray runs (:func:`connect`): ``"local"`` starts a Ray instance on this machine for the sweep
and shuts it down afterwards; ``"auto"`` joins the cluster this machine belongs to (started with
``ray start --head`` and ``ray start --address=HEAD:6379`` on the workers); any other string is a
Ray address (``HOST:PORT`` or ``ray://HOST:10001``). Every node needs ``empathy_gym`` installed
with the same versions (``pip install -c constraints.txt ".[sweep,ray]"``). If Ray is already
initialised in this process it is used as it is and left running.

Ray is imported only here, when a sweep asks for it (``pip install "empathy_gym[ray]"``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from empathy_gym._optional import require

_INSTALL_HINT = ('empathy-gym sweep --ray needs Ray: pip install -c constraints.txt ".[sweep,ray]" '
                 "(on the driver and on every node of the cluster)")


def _require_ray() -> Any:
    return require("ray", hint=_INSTALL_HINT)


@contextmanager
def connect(address: str) -> Iterator[Any]:
    """Ray, initialised for ``address`` (``"local"``, ``"auto"`` or a cluster address) for the block's duration."""
    if not isinstance(address, str) or not address.strip():
        raise ValueError(f"the Ray address must be 'local', 'auto' or HOST:PORT / ray://HOST:PORT, got {address!r}")
    ray = _require_ray()
    if ray.is_initialized():
        yield ray
        return
    ray.init(address=None if address == "local" else address, include_dashboard=False)
    try:
        yield ray
    finally:
        ray.shutdown()


def run_on_ray(todo: Sequence[tuple[Any, int]], total_steps: int, eval_seeds: Sequence[int], *,
               address: str = "local", curve_steps: Sequence[int] = (),
               agent: str = "reference") -> Iterator[dict[str, Any]]:
    """Run every ``(condition, seed)`` of ``todo`` as a one-CPU Ray task; yield each record as it finishes."""
    from empathy_gym.sweep import train_and_evaluate

    if not todo:
        return
    with connect(address) as ray:
        task = ray.remote(num_cpus=1, max_retries=1)(train_and_evaluate)
        pending = [task.remote(condition, seed, total_steps, tuple(eval_seeds), tuple(curve_steps), agent)
                   for condition, seed in todo]
        while pending:
            finished, pending = ray.wait(pending, num_returns=1)
            yield ray.get(finished[0])
