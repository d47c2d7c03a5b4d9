"""Decoding videos from hostile input into sampled RGB frames (PyAV, FFmpeg inside).

Guarantees to callers of ``open_video``:

* the container type is sniffed from magic bytes first; anything that is not a video
  container is ``UnsupportedMedia`` and never reaches FFmpeg, and FFmpeg opens the
  rest with the sniffed type's demuxer only;
* the byte limit is checked before FFmpeg opens the input; duration, frame count and
  frame size are checked from the container's header before any frame is decoded
  (``VideoTooLarge``); the frame, duration and frame-size limits are enforced again
  while decoding, because a container may understate them;
* a broken container, or a video stream of which no frame decodes, is ``CorruptMedia``;
  a packet that fails to decode in the middle is skipped and counted in
  ``VideoReader.corrupt_packets``;
* frames come out in decoding order with ``number`` counting every decoded frame from 0
  (vPDQ's frame numbers; see ``skip_unreferenced`` for sampling) and ``timestamp`` in
  seconds from the stream's start, taken from the frame's presentation time, so
  variable frame rates are sampled correctly;
* with ``sample_interval`` set, frames are sampled as Meta's vPDQ samples them (``sampling``
  ``frames``, the default): every ``int(interval * average frame rate)``-th decoded frame from
  frame 0, stamped ``number / frame rate``; or, with ``sampling`` ``time``, the first frame whose
  presentation time reaches each multiple of the interval (right for variable frame rates, and
  a flat frame may be replaced by a later one of its interval); ``None`` keeps every frame;
* pixels are converted to RGB24 by FFmpeg's scaler (as vPDQ converts them), optionally
  scaled to ``scale_to``, and turned upright when the stream carries a rotation
  (display matrix) unless ``apply_rotation`` is off.

Input is read from memory or from a path; nothing is written to disk.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, BinaryIO, cast

import numpy as np

from mediamatch.errors import CorruptMedia, UnsupportedMedia, VideoTooLarge
from mediamatch.media.sniff import SNIFF_BYTES, MediaType, sniff
from mediamatch.model import RGBPixels

if TYPE_CHECKING:
    import av
    import av.video

DEFAULT_MAX_VIDEO_BYTES = 4 * 1024 * 1024 * 1024
DEFAULT_MAX_SECONDS = 4 * 3600.0
DEFAULT_MAX_FRAMES = 1_000_000
DEFAULT_MAX_FRAME_PIXELS = 8192 * 4320
RETRIES = 4
"""How many later frames of a sampling interval may replace a frame that ``keep`` refuses."""
MAX_CORRUPT_PACKETS = 1000
"""Give up (CorruptMedia) after this many undecodable packets in one video."""

VideoSource = bytes | str | os.PathLike[str] | BinaryIO
"""Bytes in memory, a path, or an open binary file (read from its start; the caller opens it as it
needs to, a forensic scan with ``O_NOATIME`` so that the file's access time stays put)."""

# FFmpeg opens a file with the demuxer of its sniffed type only: never a playlist, concat
# list or image sequence that FFmpeg's own probing might pick for hostile bytes.
_DEMUXERS = {
    MediaType.MP4: "mov",
    MediaType.MOV: "mov",
    MediaType.MATROSKA: "matroska",
    MediaType.WEBM: "matroska",
    MediaType.AVI: "avi",
    MediaType.FLV: "flv",
    MediaType.ASF: "asf",
    MediaType.MPEG_PS: "mpeg",
    MediaType.OGG: "ogg",
}


SAMPLING = ("frames", "time")


@dataclass(frozen=True, slots=True)
class VideoOptions:
    """Limits and sampling for one video.

    ``sample_interval``: seconds between sampled frames (1.0 by default); ``None`` keeps
    every frame. ``sampling``: ``frames`` (the reference's rule, by decoded frame number; the
    default) or ``time`` (by presentation time; see the module docstring). ``scale_to``:
    ``(width, height)`` every frame is scaled to before it is returned (vPDQ's "downsample"
    option); ``None`` keeps the coded size. ``scale_filter`` names FFmpeg's scaler: ``AREA``, as
    Meta's vPDQ has scaled since July 2023 (the default); ``LANCZOS`` reproduces hashes made by
    vPDQ before then, such as its own sample hash files. ``threads``: decoder threads (0: FFmpeg
    decides). ``skip_unreferenced``: when sampling by time, let the decoder drop frames no other
    frame refers to (a sampled frame may then come a frame or two after its due time; numbers
    are then ``round(timestamp * frame_rate)``); sampling by frame counts every frame.
    """

    sample_interval: float | None = 1.0
    sampling: str = "frames"
    max_bytes: int = DEFAULT_MAX_VIDEO_BYTES
    max_seconds: float = DEFAULT_MAX_SECONDS
    max_frames: int = DEFAULT_MAX_FRAMES
    max_frame_pixels: int = DEFAULT_MAX_FRAME_PIXELS
    apply_rotation: bool = True
    scale_to: tuple[int, int] | None = None
    scale_filter: str = "AREA"
    threads: int = 0
    skip_unreferenced: bool = True

    def __post_init__(self) -> None:
        if self.sample_interval is not None and not self.sample_interval > 0:
            raise ValueError(f"sample_interval must be positive or None, not {self.sample_interval}")
        if self.sampling not in SAMPLING:
            raise ValueError(f"sampling must be one of {', '.join(SAMPLING)}, not {self.sampling!r}")


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What the container says, before decoding: sizes in pixels, times in seconds.

    ``duration``, ``frame_rate`` and ``frame_count`` are None when the container does not
    state them. Width and height are the coded size, before any rotation.
    """

    media_type: MediaType
    container: str
    codec: str
    width: int
    height: int
    duration: float | None
    frame_rate: float | None
    frame_count: int | None


@dataclass(frozen=True, slots=True)
class VideoFrame:
    """One decoded frame: its decode-order number, presentation time (s) and RGB pixels."""

    number: int
    timestamp: float
    pixels: RGBPixels


def _read_source(source: VideoSource, max_bytes: int) -> tuple[Any, MediaType]:
    """The input as something FFmpeg can open, after the byte limit and the sniff."""
    if isinstance(source, bytes):
        size = len(source)
        head = source[:SNIFF_BYTES]
    elif hasattr(source, "read"):
        handle = cast(BinaryIO, source)
        size = os.fstat(handle.fileno()).st_size
        handle.seek(0)
        head = handle.read(SNIFF_BYTES)
        handle.seek(0)
    else:
        path = Path(source)
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    if size > max_bytes:
        raise VideoTooLarge(f"{size} bytes exceeds the video limit of {max_bytes}")
    if size == 0:
        raise CorruptMedia("empty input (0 bytes)")
    media_type = sniff(head)
    if media_type is None or not media_type.is_video:
        raise UnsupportedMedia(
            "not a supported video container (MP4, MOV, MKV, WebM, AVI, FLV, ASF, MPEG, Ogg)"
        )
    if isinstance(source, bytes):
        return io.BytesIO(source), media_type
    if hasattr(source, "read"):
        return source, media_type
    return str(source), media_type


def _seconds(value: Any, base: Fraction | None) -> float | None:
    if value is None or base is None:
        return None
    return float(value * base)


class VideoReader:
    """An open video: ``info`` from the header, ``frames()`` to decode. Use as a context manager."""

    def __init__(self, source: VideoSource, options: VideoOptions | None = None) -> None:
        import av  # FFmpeg loads with the first video, not with every command that might meet one

        self.options = options or VideoOptions()
        opened, media_type = _read_source(source, self.options.max_bytes)
        try:
            self._container = av.open(
                opened, mode="r", format=_DEMUXERS[media_type], metadata_errors="ignore"
            )
        except (av.error.FFmpegError, ValueError, OSError, UnicodeDecodeError) as error:
            raise CorruptMedia(f"cannot open {media_type.value} container: {error}") from None
        try:
            self._stream = self._video_stream(media_type)
            self.info = self._describe(media_type)
            self._check_limits()
        except BaseException:
            self._container.close()
            raise
        self.decoded_frames = 0
        self.corrupt_packets = 0

    def _video_stream(self, media_type: MediaType) -> av.video.stream.VideoStream:
        streams = self._container.streams.video
        if not streams:
            raise CorruptMedia(f"{media_type.value} container has no video stream")
        stream = cast("av.video.stream.VideoStream", streams[0])
        if (
            stream.codec_context is None
            or stream.codec_context.width <= 0
            or stream.codec_context.height <= 0
        ):
            raise CorruptMedia(f"{media_type.value} video stream has no frame size")
        stream.thread_type = "SLICE"
        if self.options.threads:
            stream.codec_context.thread_count = self.options.threads
        by_time = self.options.sampling == "time"
        self._skipping = (
            by_time and self.options.sample_interval is not None and self.options.skip_unreferenced
        )
        if self._skipping:
            stream.codec_context.skip_frame = "NONREF"
        stream.codec_context.options = {"err_detect": "explode"}
        return stream

    def _describe(self, media_type: MediaType) -> VideoInfo:
        import av

        stream = self._stream
        duration = _seconds(stream.duration, stream.time_base)
        if duration is None and self._container.duration is not None:
            duration = self._container.duration / av.time_base
        rate = stream.average_rate or stream.guessed_rate
        frame_rate = float(rate) if rate else None
        frame_count = int(stream.frames) if stream.frames else None
        return VideoInfo(
            media_type=media_type,
            container=self._container.format.name,
            codec=stream.codec_context.name,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            duration=duration,
            frame_rate=frame_rate,
            frame_count=frame_count,
        )

    def _check_limits(self) -> None:
        info, options = self.info, self.options
        if info.width * info.height > options.max_frame_pixels:
            raise VideoTooLarge(
                f"{info.width}x{info.height} frames exceed the limit of {options.max_frame_pixels} pixels"
            )
        if info.duration is not None and info.duration > options.max_seconds:
            raise VideoTooLarge(
                f"{info.duration:.1f} s exceeds the video limit of {options.max_seconds:.0f} s"
            )
        estimate = info.frame_count
        if estimate is None and info.duration is not None and info.frame_rate is not None:
            estimate = math.ceil(info.duration * info.frame_rate)
        if estimate is not None and estimate > options.max_frames:
            raise VideoTooLarge(f"{estimate} frames exceeds the video limit of {options.max_frames}")

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._container.close()

    def _decoded(self) -> Iterator[av.VideoFrame]:
        """Every decodable frame; undecodable packets are counted and skipped."""
        import av

        packets = self._container.demux(self._stream)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                return
            except av.error.FFmpegError:
                self.corrupt_packets += 1  # the container breaks off here: keep what decoded
                return
            try:
                frames = packet.decode()
            except av.error.FFmpegError as error:
                self.corrupt_packets += 1
                if self.corrupt_packets > MAX_CORRUPT_PACKETS:
                    raise CorruptMedia(
                        f"more than {MAX_CORRUPT_PACKETS} undecodable packets: {error}"
                    ) from None
                continue
            for frame in frames:
                if self.decoded_frames >= self.options.max_frames:
                    raise VideoTooLarge(f"more than {self.options.max_frames} frames in the video")
                yield frame

    def _timed(self) -> Iterator[tuple[int, float, av.VideoFrame]]:
        """Decoded frames with their decode-order number and timestamp (s), within the limits."""
        start = _seconds(self._stream.start_time, self._stream.time_base) or 0.0
        step = 1.0 / self.info.frame_rate if self.info.frame_rate else 0.0
        previous = -step
        for frame in self._decoded():
            number = self.decoded_frames
            self.decoded_frames += 1
            timestamp = previous + step if frame.time is None else max(0.0, frame.time - start)
            previous = timestamp
            if timestamp > self.options.max_seconds:
                raise VideoTooLarge(f"frames beyond {self.options.max_seconds:.0f} s")
            if frame.width * frame.height > self.options.max_frame_pixels:  # the size may change mid-stream
                raise VideoTooLarge(f"a {frame.width}x{frame.height} frame exceeds the pixel limit")
            if self._skipping and self.info.frame_rate:
                number = round(timestamp * self.info.frame_rate)  # skipped frames were not counted
            yield number, timestamp, frame

    def frames(self, keep: Callable[[VideoFrame], bool] | None = None) -> Iterator[VideoFrame]:
        """Sampled frames in decoding order; CorruptMedia if none at all could be decoded.

        ``keep``: when sampling by time, a frame it refuses (a flat one, say) is replaced by a
        later frame of the same interval, tried every fifth of the interval up to ``RETRIES``
        times; the last try is kept whatever ``keep`` says. Sampling by frame (the reference's
        rule) keeps every frame it picks, as the reference does.
        """
        interval = self.options.sample_interval
        if interval is not None and self.options.sampling == "frames" and self.info.frame_rate:
            yield from self._every_nth(interval, self.info.frame_rate)
            return
        next_due = interval_end = 0.0
        retries = 0
        for number, timestamp, frame in self._timed():
            if interval is None:
                yield VideoFrame(number, timestamp, self._pixels(frame))
                continue
            if timestamp + 1e-6 < next_due:
                continue
            if timestamp + 1e-6 >= interval_end:
                interval_end = (math.floor(timestamp / interval + 1e-6) + 1) * interval
                retries = RETRIES
            candidate = VideoFrame(number, timestamp, self._pixels(frame))
            retry_at = timestamp + interval / (RETRIES + 1)
            if keep is not None and retries > 0 and retry_at < interval_end and not keep(candidate):
                retries -= 1
                next_due = retry_at
                continue
            next_due = interval_end
            yield candidate
        if self.decoded_frames == 0:
            raise CorruptMedia(f"no frame of the {self.info.codec} video stream could be decoded")

    def _every_nth(self, interval: float, frame_rate: float) -> Iterator[VideoFrame]:
        """The reference's sampling: decoded frame numbers divisible by ``int(interval * rate)`` (at
        least 1), stamped ``number / rate`` as vPDQ stamps them."""
        every = max(1, int(interval * frame_rate))
        for number, _, frame in self._timed():
            if number % every == 0:
                yield VideoFrame(number, number / frame_rate, self._pixels(frame))
        if self.decoded_frames == 0:
            raise CorruptMedia(f"no frame of the {self.info.codec} video stream could be decoded")

    def _pixels(self, frame: av.VideoFrame) -> RGBPixels:
        width, height = self.options.scale_to or (frame.width, frame.height)
        # One thread: swscale's own thread pool (PyAV 17 on) is inherited half-alive by a process
        # forked later (scan workers), whose first reformat then waits on it for ever.
        rgb = frame.reformat(
            width=width, height=height, format="rgb24", interpolation=self.options.scale_filter, threads=1
        )
        pixels = rgb.to_ndarray()
        # The display matrix turns the coded picture counter-clockwise by ``rotation`` degrees.
        turns = round(frame.rotation / 90) % 4 if self.options.apply_rotation else 0
        if turns:
            pixels = np.rot90(pixels, turns)
        return np.ascontiguousarray(pixels, dtype=np.uint8)


def open_video(source: VideoSource, options: VideoOptions | None = None) -> VideoReader:
    """Open ``source`` (bytes or a path) within ``options``' limits; see the module's guarantees."""
    return VideoReader(source, options)


def probe_video(source: VideoSource, options: VideoOptions | None = None) -> VideoInfo:
    """The container's description of ``source`` after the limit checks, without decoding frames."""
    with open_video(source, options) as reader:
        return reader.info
