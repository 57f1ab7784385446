"""Package data: profiles, strategy templates and lexicons, phrase banks (layer 1).

Files here are read with :func:`read_json` and validated by the module that owns their meaning.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any


@lru_cache(maxsize=None)
def _read_text(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def read_json(name: str) -> Any:
    """Parse the package data file ``name`` (a fresh object every call, safe to mutate)."""
    return json.loads(_read_text(name))
