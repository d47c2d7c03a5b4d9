"""Handing a request body to blocking code as it arrives, without buffering it whole."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from fastapi import Request

from mediamatch.errors import ImageTooLarge

T = TypeVar("T")
BUFFERED_CHUNKS = 8


class _Relay:
    """Chunks from the event loop (``pump``) to a worker thread (``chunks``), at most
    ``BUFFERED_CHUNKS`` in flight; a body over ``limit`` bytes ends in ImageTooLarge."""

    def __init__(self, request: Request, limit: int) -> None:
        self.request = request
        self.limit = limit
        self.over_limit = False
        channel = anyio.create_memory_object_stream[bytes](BUFFERED_CHUNKS)
        self.send: MemoryObjectSendStream[bytes] = channel[0]
        self.receive: MemoryObjectReceiveStream[bytes] = channel[1]

    async def pump(self) -> None:
        received = 0
        async with self.send:
            async for chunk in self.request.stream():
                received += len(chunk)
                if received > self.limit:
                    self.over_limit = True
                    return
                try:
                    await self.send.send(chunk)
                except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                    return  # the consumer stopped early

    def chunks(self) -> Iterator[bytes]:
        while True:
            try:
                yield anyio.from_thread.run(self.receive.receive)
            except anyio.EndOfStream:
                break
        if self.over_limit:
            raise ImageTooLarge(f"the body is larger than the {self.limit}-byte limit")


async def stream_to_thread(request: Request, limit: int, consume: Callable[[Iterable[bytes]], T]) -> T:
    """Run ``consume`` in a worker thread over the request body as it arrives. Errors of
    ``consume`` are raised as they are (not wrapped in an exception group)."""
    relay = _Relay(request, limit)
    failure: Exception | None = None
    results: list[T] = []
    async with anyio.create_task_group() as group:
        group.start_soon(relay.pump)
        try:
            results.append(await anyio.to_thread.run_sync(consume, relay.chunks()))
        except Exception as error:
            failure = error
        finally:
            relay.receive.close()
            group.cancel_scope.cancel()
    if failure is not None:
        raise failure
    return results[0]
