"""Small videos made in memory for tests (PyAV's encoders; nothing is written to disk)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from fractions import Fraction

import av
import numpy as np

from mediamatch.model import RGBPixels
from mediamatch.samples import synthetic_photo


def moving_frames(count: int, seed: int = 0, size: tuple[int, int] = (96, 64)) -> list[RGBPixels]:
    """``count`` frames panning across a synthetic photo, ``size`` = (width, height)."""
    width, height = size
    photo = synthetic_photo(seed)
    frames = []
    for index in range(count):
        offset = (index * 3) % max(1, photo.shape[1] - width)
        frames.append(np.ascontiguousarray(photo[:height, offset : offset + width]))
    return frames


def encode_video(
    frames: Sequence[RGBPixels],
    *,
    fps: int = 10,
    times_ms: Sequence[int] | None = None,
    container: str = "mp4",
    codec: str = "mpeg4",
    rotation: int | None = None,
) -> bytes:
    """The frames encoded as a video; ``times_ms`` gives variable presentation times."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as output:
        stream = output.add_stream(codec, rate=fps)
        stream.height, stream.width = frames[0].shape[0], frames[0].shape[1]
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = 4_000_000
        if times_ms is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        if rotation is not None:
            stream.set_display_rotation(rotation)
        for index, pixels in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            if times_ms is not None:
                frame.pts = times_ms[index]
                frame.time_base = Fraction(1, 1000)
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
    return buffer.getvalue()
