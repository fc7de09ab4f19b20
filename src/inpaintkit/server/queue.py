"""The fill queue: at most ``max_pending`` fills wait or run, ``concurrency`` of them at a time, in a thread pool;
the work of a client that has gone is dropped.

A request waiting for its turn watches its connection: when the client closes it (a browser tab closed, a script
killed, a timeout on the client's side), the request leaves the queue at once and its fill never starts. A fill
already running is given a :class:`threading.Event` that is set when the client goes, so it can stop between its
stages (decode, fill, encode). Either way the route ends with :class:`ClientGone`, which the app logs as one short
line at info level (a closed connection is not the server's failure) and answers with nothing the client could read.
"""
from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Executor
from typing import Any, Callable

from starlette.requests import ClientDisconnect

from inpaintkit.server.limits import ApiError


class ClientGone(ClientDisconnect):
    """The client closed its connection before its answer was ready; ``stage`` says when (for the log)."""

    def __init__(self, stage: str):
        self.stage = stage
        super().__init__(stage)


async def wait_disconnect(receive) -> None:
    """Return when ``receive`` (the request's ASGI channel, its body already read) reports the client gone."""
    while True:
        message = await receive()
        if message.get("type") == "http.disconnect":
            return


class FillQueue:
    """Runs ``fn(*args, gone)`` in ``pool`` for a request, at most ``concurrency`` at a time, ``max_pending`` waiting
    or running (the next get 503). ``gone`` is a ``threading.Event`` set when the client closes its connection."""

    def __init__(self, pool: Executor, concurrency: int, max_pending: int):
        self.pool, self.concurrency, self.max_pending = pool, concurrency, max_pending
        self.pending = 0  # fills queued or running
        self.dropped = 0  # fills never started (or stopped) because their client had gone
        self._slots: asyncio.Semaphore | None = None

    def _semaphore(self) -> asyncio.Semaphore:
        if self._slots is None:  # created inside the server's event loop
            self._slots = asyncio.Semaphore(self.concurrency)
        return self._slots

    async def run(self, receive, fn: Callable[..., Any], *args) -> Any:
        if self.pending >= self.max_pending:
            raise ApiError(503, f"server busy ({self.pending} fills queued); try again shortly",
                           headers={"Retry-After": "2"})
        slots = self._semaphore()
        self.pending += 1
        gone = threading.Event()
        watch = asyncio.ensure_future(wait_disconnect(receive))
        watch.add_done_callback(lambda t: _left(t) and gone.set())
        acquire = asyncio.ensure_future(slots.acquire())
        got_slot = False
        try:
            waiting = {acquire, watch}
            while not acquire.done() and not _left(watch):
                await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                waiting = {acquire}  # a watcher that ended without a disconnect (an error) is not waited on again
            got_slot = acquire.done() and not acquire.cancelled()
            if _left(watch):  # the client left while its request waited: it leaves the queue, unfilled
                self.dropped += 1
                raise ClientGone("while its fill was queued")
            try:
                return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args, gone)
            except ClientGone:
                self.dropped += 1
                raise
        finally:
            self.pending -= 1
            watch.cancel()
            if got_slot:
                slots.release()
            elif not acquire.done():
                acquire.cancel()  # a slot granted meanwhile is handed on by the semaphore itself


def _left(watch: asyncio.Future) -> bool:
    """Whether the watcher saw the client disconnect."""
    return watch.done() and not watch.cancelled() and watch.exception() is None
