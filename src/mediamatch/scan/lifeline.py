"""Worker processes that end with the process that started them.

A scan's workers are forked from its main process and inherit its open files, the case's lock
among them: were they to outlive a killed main process (SIGKILL, the OOM killer), they would go
on hashing and hold the case's lock, so that ``--resume`` is refused. ``die_with_parent`` asks the
kernel to kill the calling process when its parent ends (Linux's ``PR_SET_PDEATHSIG``), and ends
it at once if the parent has already gone. Elsewhere it does nothing (the workers then notice
the broken pipe to their pool when they next report, as Python's pool makes them).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Be killed with SIGKILL when the process ``parent`` (the caller's parent) ends."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent ended before the request took effect
        os._exit(1)
