"""Keeping a service process's memory close to what its requests hold.

glibc gives each thread its own malloc arena and, after a large block is freed, raises the size
from which blocks are mapped on their own; freed pictures then stay in the arenas of the threads
that decoded them, and a process that decoded sixteen large pictures on sixteen threads keeps
the memory of all sixteen, whatever the decode budget let run at once. ``tune_allocator`` caps
the arenas at two and fixes the mapping size at 1 MiB, so a picture's pixels go back to the
system when freed. It changes nothing where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
ARENAS = 2
MAPPED_FROM_BYTES = 1024 * 1024


def tune_allocator() -> bool:
    """Apply the settings above to this process's glibc allocator; False where there is none."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    done = mallopt(M_ARENA_MAX, ARENAS) == 1 and mallopt(M_MMAP_THRESHOLD, MAPPED_FROM_BYTES) == 1
    if not done:
        log.warning("could not tune the memory allocator; large pictures may leave memory unreturned")
    return bool(done)
