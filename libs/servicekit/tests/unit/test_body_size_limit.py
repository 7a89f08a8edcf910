"""The request body limit: 413 problem+json beyond it, announced or streamed; a path prefix
(e.g. file uploads) may have a limit of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI, Request

from servicekit.runtime import BodySizeLimit


def app_with_limits() -> FastAPI:
    app = FastAPI()

    @app.post("/{path:path}")
    async def echo(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    app.add_middleware(BodySizeLimit, max_bytes=1024, by_prefix={"/imports/": 4096})
    return app


async def post(path: str, content: bytes | AsyncIterator[bytes]) -> httpx.Response:
    # The app gives up on the disconnect it is told of (the server would log it).
    transport = httpx.ASGITransport(app=app_with_limits(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post(path, content=content)


async def chunks(count: int, size: int) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b"x" * size


async def test_the_default_limit_refuses_a_larger_body_announced_or_streamed() -> None:
    assert (await post("/customers", b"x" * 1024)).json() == {"received": 1024}
    announced = await post("/customers", b"x" * 1025)
    assert announced.status_code == 413
    assert announced.headers["content-type"] == "application/problem+json"
    assert "exceeds 1024 bytes" in announced.json()["detail"]
    assert (await post("/customers", chunks(3, 512))).status_code == 413


async def test_a_prefix_has_its_own_limit() -> None:
    assert (await post("/imports/orders", b"x" * 4096)).json() == {"received": 4096}
    assert (await post("/imports/orders", chunks(3, 1024))).json() == {"received": 3072}
    refused = await post("/imports/orders", b"x" * 4097)
    assert refused.status_code == 413
    assert "exceeds 4096 bytes" in refused.json()["detail"]
    assert (await post("/import", b"x" * 2048)).status_code == 413  # not under the prefix
