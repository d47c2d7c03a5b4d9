"""A process-wide budget of memory for pictures being decoded at the same time.

A small upload can declare a huge picture: a 388 KB PNG of 9,999 x 9,999 RGBA pixels takes
about 1.3 GB while it is decoded and converted. The pixel cap bounds one picture; this budget
bounds all of them together. Decoding reserves a picture's cost, read from its header before
any pixel is decoded, and gives it back when its RGB array is made (``decode_image``) or when
the block using the pixels ends (``decoding``, as ``FileHasher`` hashes them); a picture whose
cost does not fit waits until earlier decodes finish, at most ``wait_seconds``,
and is then refused with ``DecodeBusy`` (the service answers 503 with ``Retry-After``). A
picture that could never fit, costing more than the whole budget, is refused at once as
``ImageTooLarge``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from mediamatch.errors import DecodeBusy, ImageTooLarge

STORED_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
"""Bytes per pixel Pillow keeps for a mode; 4 for every other (RGB too: Pillow pads it to 32 bits)."""
DECODER_BYTES = 1
"""A pixel's share of the decoder's own buffers, measured on large PNGs and JPEGs."""


def decoding_cost(width: int, height: int, mode: str) -> int:
    """Bytes a picture takes at its peak while decoded: Pillow's pixels in ``mode``, its RGB
    conversion (none for RGB), the RGB array handed out, and the decoder's buffers."""
    converted = 0 if mode == "RGB" else 4
    return width * height * (STORED_BYTES.get(mode, 4) + converted + 3 + DECODER_BYTES)


class DecodeBudget:
    """At most ``capacity_bytes`` of pictures decoding at once; safe to share between threads."""

    def __init__(self, capacity_bytes: int, wait_seconds: float = 10.0) -> None:
        if capacity_bytes < 1:
            raise ValueError("a decode budget needs at least one byte")
        self.capacity = capacity_bytes
        self.wait_seconds = wait_seconds
        self.in_use = 0
        self._changed = threading.Condition()

    @contextmanager
    def reserve(self, cost: int) -> Iterator[None]:
        """Hold ``cost`` bytes of the budget for the ``with`` block."""
        if cost > self.capacity:
            raise ImageTooLarge(
                f"decoding this picture takes {cost // 2**20} MiB, more than the decode budget of "
                f"{self.capacity // 2**20} MiB"
            )
        with self._changed:
            if not self._changed.wait_for(lambda: self.in_use + cost <= self.capacity, self.wait_seconds):
                raise DecodeBusy("too many large pictures are being decoded; retry shortly")
            self.in_use += cost
        try:
            yield
        finally:
            with self._changed:
                self.in_use -= cost
                self._changed.notify_all()
