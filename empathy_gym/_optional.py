"""Importing an optional heavy dependency on first use, with an install hint when it is missing."""

from __future__ import annotations

import importlib
from types import ModuleType


def require(module: str, *also: str, hint: str) -> ModuleType:
    """Import ``module`` (and the modules ``also`` names); an ``ImportError`` saying ``hint`` if any is missing."""
    try:
        for name in also:
            importlib.import_module(name)
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(hint) from error
