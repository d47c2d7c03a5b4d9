"""Video decoding: container sniffing, sampling by time, rotation, limits before decoding, bad input."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest

from mediamatch.errors import CorruptMedia, ImageTooLarge, UnsupportedMedia, VideoTooLarge
from mediamatch.media import decode_image
from mediamatch.media.sniff import MediaType, sniff
from mediamatch.media.video import VideoFrame, VideoOptions, open_video, probe_video
from mediamatch.samples import encode, synthetic_photo
from tests.videosamples import encode_video, moving_frames

EVERY_FRAME = VideoOptions(sample_interval=None)


@pytest.fixture(scope="module")
def clip() -> bytes:
    """Three seconds at 10 frames per second."""
    return encode_video(moving_frames(30), fps=10)


@pytest.mark.parametrize(
    ("container", "codec", "expected"),
    [
        ("mp4", "mpeg4", MediaType.MP4),
        ("mov", "mpeg4", MediaType.MOV),
        ("matroska", "mpeg4", MediaType.MATROSKA),
        ("webm", "libvpx", MediaType.WEBM),
        ("avi", "mpeg4", MediaType.AVI),
    ],
)
def test_containers_are_sniffed_and_decoded(container: str, codec: str, expected: MediaType) -> None:
    data = encode_video(moving_frames(5), container=container, codec=codec)
    assert sniff(data[:64]) is expected
    assert expected.is_video
    with open_video(data, EVERY_FRAME) as reader:
        assert reader.info.media_type is expected
        assert len(list(reader.frames())) == 5


def test_images_are_not_videos_and_videos_are_not_images(clip: bytes) -> None:
    jpeg = encode(synthetic_photo(1), "JPEG")
    with pytest.raises(UnsupportedMedia, match="not a supported video"):
        open_video(jpeg)
    with pytest.raises(UnsupportedMedia, match="a video"):
        decode_image(clip)
    assert not MediaType.JPEG.is_video


def test_every_frame_gives_decode_order_numbers_and_presentation_times(clip: bytes) -> None:
    with open_video(clip, EVERY_FRAME) as reader:
        frames = list(reader.frames())
        assert (reader.decoded_frames, reader.corrupt_packets) == (30, 0)
    assert [f.number for f in frames] == list(range(30))
    assert [round(f.timestamp, 3) for f in frames[:3]] == [0.0, 0.1, 0.2]
    assert frames[0].pixels.shape == (64, 96, 3)
    assert frames[0].pixels.dtype == np.uint8


def test_default_sampling_is_one_frame_per_second(clip: bytes) -> None:
    with open_video(clip) as reader:
        frames = list(reader.frames())
    assert [(f.number, round(f.timestamp, 3)) for f in frames] == [(0, 0.0), (10, 1.0), (20, 2.0)]


def test_variable_frame_rate_is_sampled_by_timestamp() -> None:
    times = [0, 100, 150, 900, 1000, 1050, 2500, 2600, 3100]
    data = encode_video(moving_frames(len(times)), times_ms=times)
    with open_video(data, EVERY_FRAME) as reader:
        assert [round(f.timestamp * 1000) for f in reader.frames()] == times
    with open_video(data, VideoOptions(sampling="time")) as reader:
        sampled = [round(f.timestamp * 1000) for f in reader.frames()]
    assert sampled == [0, 1000, 2500, 3100]  # the first frame at or after each whole second
    with open_video(data) as reader:  # the reference's rule: every int(rate)-th frame, number / rate
        assert [f.number for f in reader.frames()][:1] == [0]


def test_sampling_interval_is_configurable(clip: bytes) -> None:
    with open_video(clip, VideoOptions(sample_interval=0.5)) as reader:
        assert len(list(reader.frames())) == 6
    with pytest.raises(ValueError, match="positive"):
        VideoOptions(sample_interval=0)


def test_rotation_metadata_turns_frames_upright() -> None:
    frame = np.zeros((64, 96, 3), dtype=np.uint8)
    frame[:, :48] = 255  # left half white
    data = encode_video([frame] * 3, rotation=90)
    with open_video(data, EVERY_FRAME) as reader:
        upright = next(reader.frames()).pixels
    assert upright.shape == (96, 64, 3)
    grey = upright.mean(axis=2)
    assert grey[60:].mean() > 200 > 50 > grey[:36].mean()  # turned a quarter counter-clockwise
    with open_video(data, VideoOptions(sample_interval=None, apply_rotation=False)) as reader:
        assert next(reader.frames()).pixels.shape == (64, 96, 3)


def test_frames_can_be_scaled_as_vpdq_downsamples(clip: bytes) -> None:
    with open_video(clip, VideoOptions(scale_to=(128, 128))) as reader:
        assert next(reader.frames()).pixels.shape == (128, 128, 3)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (VideoOptions(max_bytes=1000), "bytes"),
        (VideoOptions(max_seconds=2.0), "video limit of 2 s"),
        (VideoOptions(max_frames=20), "20"),
        (VideoOptions(max_frame_pixels=96 * 64 - 1), "pixels"),
    ],
)
def test_limits_are_checked_before_any_frame_is_decoded(
    clip: bytes, options: VideoOptions, message: str
) -> None:
    with pytest.raises(VideoTooLarge, match=message) as caught:
        open_video(clip, options)
    assert isinstance(caught.value, ImageTooLarge)  # the same HTTP status and exit code


def test_paths_are_decoded_from_disk_and_checked_first(clip: bytes, tmp_path: Path) -> None:
    path = tmp_path / "clip.bin"
    path.write_bytes(clip)
    assert probe_video(path).frame_count == 30
    with pytest.raises(VideoTooLarge):
        probe_video(path, VideoOptions(max_bytes=len(clip) - 1))


def test_empty_and_garbage_containers_are_corrupt(clip: bytes) -> None:
    with pytest.raises(CorruptMedia, match="empty"):
        open_video(b"")
    with pytest.raises(CorruptMedia):
        open_video(clip[:40] + bytes(2000))


def test_truncated_stream_keeps_what_decodes() -> None:
    data = encode_video(moving_frames(30, size=(160, 120)), container="matroska")
    with open_video(data[: len(data) * 2 // 3], EVERY_FRAME) as reader:
        frames = list(reader.frames())
    assert 0 < len(frames) < 30


def test_mp4_cut_before_its_index_is_corrupt(clip: bytes) -> None:
    with pytest.raises(CorruptMedia, match="cannot open MP4"):
        open_video(clip[: len(clip) // 2])


def test_damaged_packets_are_skipped_and_counted() -> None:
    data = bytearray(encode_video(moving_frames(30, size=(160, 120)), container="matroska"))
    rng = np.random.default_rng(0)
    for offset in rng.integers(2000, len(data) - 2000, 30):
        data[int(offset) : int(offset) + 8] = rng.integers(0, 256, 8, dtype=np.uint8).tobytes()
    with open_video(bytes(data), EVERY_FRAME) as reader:
        frames = list(reader.frames())
        assert 0 < len(frames) < 30, "the undamaged frames still decode"
        assert reader.corrupt_packets > 0


def test_a_container_without_video_is_corrupt() -> None:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as output:
        stream = output.add_stream("aac", rate=8000)
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 1024), dtype=np.float32), format="fltp", layout="mono"
        )
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
    with pytest.raises(CorruptMedia, match="no video stream"):
        open_video(buffer.getvalue())


def test_a_refused_frame_is_replaced_by_a_later_one_of_its_interval() -> None:
    frames = moving_frames(30)
    for index in range(4):
        frames[index] = np.zeros_like(frames[index])  # 0.0-0.3 s are black
    for index in range(10, 20):
        frames[index] = np.zeros_like(frames[index])  # 1.0-1.9 s are black
    data = encode_video(frames, fps=10)

    def textured(frame: VideoFrame) -> bool:
        return float(frame.pixels.std()) > 10

    with open_video(data, VideoOptions(sampling="time")) as reader:
        sampled = [round(f.timestamp, 3) for f in reader.frames(keep=textured)]
    assert sampled == [0.4, 1.8, 2.0]  # 1.0-1.8 tried every 0.2 s, the last try kept


def _frames_in_a_fork(data: bytes, answers: object) -> None:
    with open_video(data, VideoOptions(sample_interval=None, scale_to=(160, 120))) as reader:
        answers.put(len(list(reader.frames())))  # type: ignore[attr-defined]


def test_a_process_forked_after_decoding_still_decodes(clip: bytes) -> None:
    """Scan workers are forked from a process that may have decoded video already (a test run, a
    long-lived caller): the scaler keeps no threads a fork would inherit half-alive."""
    import multiprocessing

    with open_video(clip, VideoOptions(sample_interval=None, scale_to=(160, 120))) as reader:
        assert len(list(reader.frames())) == 30
    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    child = context.Process(target=_frames_in_a_fork, args=(clip, answers))
    child.start()
    child.join(60)
    if child.is_alive():
        child.kill()
        child.join()
        pytest.fail("a forked process never finished decoding")
    assert answers.get(timeout=5) == 30
