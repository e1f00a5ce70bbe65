"""Request bodies over a limit are refused with 413 before they are parsed.

A declared `Content-Length` over the limit is answered at once, without reading a byte; a body
without one (chunked) is counted as it arrives and refused as soon as it passes the limit. So a
10 MB body costs neither the memory to hold it nor the CPU to parse it.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    """ASGI middleware: at most `max_bytes` of request body."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _reason(self) -> str:
        return f"the request body is larger than the limit of {self.max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            too_large = JSONResponse({"detail": self._reason()}, status_code=413)
            await too_large(scope, receive, send)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI passes an HTTPException raised while reading the body through to
                    # its handler unchanged: the client gets this 413 with its reason.
                    raise HTTPException(413, detail=self._reason())
            return message

        await self.app(scope, counted_receive, send)
