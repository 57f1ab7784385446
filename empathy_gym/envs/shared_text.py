"""A ``Text`` space whose values cross ``AsyncVectorEnv``'s shared memory intact.

Gymnasium's shared memory for ``Text`` is read once, when ``AsyncVectorEnv`` is built, into a
tuple of strings that later steps never refresh: every text observation then reads "aaaa...".
:class:`SharedText` registers its own shared-memory functions: the text is stored as ASCII bytes
(the charset is printable ASCII, never NUL), and the read returns a live view, like the numpy
views Gymnasium keeps for ``Box``, whose copy (``copy=True``, the default) is a plain tuple of
strings, as ``SyncVectorEnv`` returns. So ``gym.make_vec(id, vectorization_mode="async")`` gives
the same observations as ``"sync"`` for every EmpathyGym id.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import create_shared_memory, read_from_shared_memory, write_to_shared_memory


class SharedText(spaces.Text):
    """``spaces.Text`` that ``AsyncVectorEnv`` can carry in shared memory (see the module docstring)."""


class TextView(Sequence):
    """The texts of ``n`` sub-envs, decoded from shared memory at each access."""

    def __init__(self, buffer: Any, n: int, max_length: int) -> None:
        self._rows = np.frombuffer(buffer.get_obj(), dtype=np.uint8).reshape(n, max_length)

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        return self._rows[index].tobytes().rstrip(b"\0").decode("ascii")

    def __deepcopy__(self, memo: dict) -> tuple[str, ...]:
        return tuple(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    def __repr__(self) -> str:
        return f"TextView({tuple(self)!r})"


@create_shared_memory.register(SharedText)
def _create(space: SharedText, n: int = 1, ctx: Any = mp):
    return ctx.Array("B", n * space.max_length)


@read_from_shared_memory.register(SharedText)
def _read(space: SharedText, shared_memory: Any, n: int = 1) -> TextView:
    return TextView(shared_memory, n, space.max_length)


@write_to_shared_memory.register(SharedText)
def _write(space: SharedText, index: int, value: str, shared_memory: Any) -> None:
    encoded = value.encode("ascii")
    if len(encoded) > space.max_length:
        raise ValueError(f"text of {len(encoded)} characters exceeds the space's max_length {space.max_length}")
    rows = np.frombuffer(shared_memory.get_obj(), dtype=np.uint8).reshape(-1, space.max_length)
    rows[index] = 0
    rows[index, :len(encoded)] = np.frombuffer(encoded, dtype=np.uint8)
