"""Progress bars (tqdm) for the long commands: redrawn in place on a terminal, sparse in a log file."""

from __future__ import annotations

import sys
from typing import Any, TextIO


def progress_bar(total: int, *, desc: str, unit: str, initial: int = 0, stream: TextIO | None = None,
                 **options: Any):
    """A ``tqdm`` bar on ``stream`` (stderr by default, so stdout keeps only the report).

    On a terminal it redraws several times a second; into a file or a pipe it writes at most one
    line every 30 seconds (and the last one), so logs stay short.
    """
    from tqdm import tqdm  # imported here: only the long commands draw bars

    stream = stream if stream is not None else sys.stderr
    interactive = bool(getattr(stream, "isatty", lambda: False)())
    return tqdm(total=total, desc=desc, unit=unit, initial=initial, file=stream, dynamic_ncols=interactive,
                ascii=not interactive, mininterval=0.2 if interactive else 30.0, **options)
