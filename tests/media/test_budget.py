"""The decode budget: pictures that fit decode together, others wait, and what never fits is refused."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from mediamatch.errors import DecodeBusy, ImageTooLarge
from mediamatch.media import DecodeBudget, DecodeOptions, decode_image
from mediamatch.media.budget import decoding_cost
from mediamatch.samples import encode


def test_a_reservation_waits_for_room_and_is_refused_after_its_wait() -> None:
    budget = DecodeBudget(100, wait_seconds=0.05)
    with budget.reserve(60):
        with pytest.raises(DecodeBusy), budget.reserve(60):
            pass
        with budget.reserve(40):
            assert budget.in_use == 100
    assert budget.in_use == 0
    with pytest.raises(ImageTooLarge), budget.reserve(101):
        pass


def test_a_waiting_reservation_goes_ahead_when_room_is_given_back() -> None:
    budget = DecodeBudget(100, wait_seconds=5)
    started = threading.Event()

    def hold() -> None:
        with budget.reserve(80):
            started.set()
            time.sleep(0.2)

    holder = threading.Thread(target=hold)
    holder.start()
    started.wait()
    began = time.monotonic()
    with budget.reserve(80):
        waited = time.monotonic() - began
    holder.join()
    assert 0.1 < waited < 5


def test_decoding_reserves_the_cost_from_the_header() -> None:
    picture = encode(np.zeros((300, 400, 4), dtype=np.uint8), "PNG")
    cost = decoding_cost(400, 300, "RGBA")
    with pytest.raises(ImageTooLarge, match="decode budget"):
        decode_image(picture, DecodeOptions(budget=DecodeBudget(cost - 1)))
    budget = DecodeBudget(cost)
    assert decode_image(picture, DecodeOptions(budget=budget)).pixels.shape == (300, 400, 3)
    assert budget.in_use == 0
