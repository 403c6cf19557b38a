"""Guards that keep one client from holding the server: connections that never send a
request, requests that trickle in, bodies that stall, clients that hang up part-way, and
too many PDF leaflets rendered at once.

None of these logs anything about the request beyond what uvicorn's access log says
(method, path, status): never a body.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: seconds a connection may take to send a whole request head (line and headers), from
#: when it opens or its last answer was sent (SECONDLINE_HEAD_TIMEOUT to change it)
HEAD_TIMEOUT = float(os.environ.get("SECONDLINE_HEAD_TIMEOUT", "10"))
#: seconds the server waits for the next piece of a request body (SECONDLINE_BODY_TIMEOUT)
BODY_TIMEOUT = float(os.environ.get("SECONDLINE_BODY_TIMEOUT", "15"))
#: PDF leaflets rendered at once in one worker process; more get 503 and Retry-After
MAX_RENDERS = 2
RETRY_AFTER_SECONDS = 5


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a deadline for each request head.

    uvicorn arms its keep-alive timer only after an answer, and any byte that arrives
    disarms it, so a connection that never sends a request, or sends its head a byte at
    a time, would be kept forever.
    """

    _head_deadline: asyncio.TimerHandle | None = None

    def _arm_head_deadline(self) -> None:
        self._disarm_head_deadline()
        self._head_deadline = self.loop.call_later(HEAD_TIMEOUT, self._head_timed_out)

    def _disarm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_timed_out(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()

    def on_headers_complete(self) -> None:
        self._disarm_head_deadline()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)


class BodyTimeout:
    """ASGI middleware: a body that stalls for ``BODY_TIMEOUT`` seconds gets 408."""

    def __init__(self, app: ASGIApp, timeout: float | None = None) -> None:
        self.app = app
        self.timeout = BODY_TIMEOUT if timeout is None else timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def timed_receive() -> Message:
            try:
                return await asyncio.wait_for(receive(), self.timeout)
            except TimeoutError:
                raise _BodyStalled from None

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, timed_receive, tracking_send)
        except _BodyStalled:
            if not started:
                answer = JSONResponse(
                    {"detail": [{"field": "body", "message": "arrived too slowly"}]},
                    status_code=408, headers={"connection": "close"},
                )
                await answer(scope, receive, send)


class _BodyStalled(Exception):
    """The next piece of a body did not come in time."""


async def client_gone_handler(request: Request, exc: Exception) -> Response:
    """A client that hangs up while sending gets no answer, and the log no traceback."""
    assert isinstance(exc, ClientDisconnect)
    return Response(status_code=400)


_renders = threading.BoundedSemaphore(MAX_RENDERS)


class Busy(Exception):
    """Every render slot of this worker is taken."""


@contextmanager
def render_slot() -> Iterator[None]:
    """Hold one of the worker's render slots, or raise Busy at once (never queue)."""
    if not _renders.acquire(blocking=False):
        raise Busy
    try:
        yield
    finally:
        _renders.release()


def busy_response() -> Response:
    return JSONResponse(
        {"detail": [{"field": "format", "message": "the server is rendering as many "
                     "leaflets as it can; try again shortly"}]},
        status_code=503, headers={"retry-after": str(RETRY_AFTER_SECONDS)},
    )


def uvicorn_settings() -> dict[str, Any]:
    """What ``secondline serve`` passes to uvicorn for these guards."""
    return {"http": GuardedHttpToolsProtocol, "timeout_keep_alive": 5}
