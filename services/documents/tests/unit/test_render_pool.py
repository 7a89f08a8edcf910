"""PDFs rendered in worker processes: the same bytes and errors as inline, and a dead worker
process is a transient error."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from documents.adapters.pdf import PooledRenderer, RendererUnavailable, RenderingFailed
from documents.bootstrap import build_renderer
from documents.config import DocumentsSettings
from documents.service_layer import printing


@pytest.fixture(scope="module")
def pool() -> Iterator[PooledRenderer]:
    renderer = PooledRenderer(build_renderer(DocumentsSettings()), processes=2)
    renderer.start()
    yield renderer
    renderer.stop()


async def test_the_pool_renders_the_same_bytes_as_inline(pool, order_builder) -> None:
    inline = PooledRenderer(pool.renderer, processes=0)
    printable = printing.order_confirmation(order_builder("order-1", "SO-1", line_count=40))
    assert await pool.render(printable) == await inline.render(printable)


def test_the_rendering_processes_run_below_the_service_priority() -> None:
    lowered = PooledRenderer(build_renderer(DocumentsSettings()), processes=2, niceness=3)
    lowered.start()
    try:
        assert lowered._pool is not None
        in_workers = {lowered._pool.submit(os.nice, 0).result() for _ in range(4)}
    finally:
        lowered.stop()
    assert in_workers == {os.nice(0) + 3}


async def test_a_layout_error_in_a_worker_is_a_rendering_failure(order_builder) -> None:
    renderer = build_renderer(DocumentsSettings())
    renderer.page_size = (0.0, 0.0)  # nothing fits on the page
    broken = PooledRenderer(renderer, processes=2)
    try:
        with pytest.raises(RenderingFailed, match="SO-2"):
            await broken.render(printing.order_confirmation(order_builder("order-2", "SO-2")))
    finally:
        broken.stop()


async def test_a_dead_worker_is_retried_and_the_pool_replaced(pool, order_builder) -> None:
    printable = printing.order_confirmation(order_builder("order-3", "SO-3"))
    expected = await pool.render(printable)
    executor = pool._pool
    assert executor is not None
    for process in list(executor._processes.values()):
        os.kill(process.pid, signal.SIGKILL)
    with pytest.raises(RendererUnavailable) as raised:
        await pool.render(printable)
    assert isinstance(raised.value, OSError)  # the consumer retries, never dead-letters
    assert pool._pool is not executor
    assert await pool.render(printable) == expected


# A documents process whose pool is started; it prints its rendering processes' pids.
SERVICE_WITH_A_POOL = """
import time
from documents.adapters.pdf import PooledRenderer
from documents.bootstrap import build_renderer
from documents.config import DocumentsSettings
pool = PooledRenderer(build_renderer(DocumentsSettings()), processes=2)
pool.start()
print(" ".join(str(process.pid) for process in pool._pool._processes.values()), flush=True)
time.sleep(300)
"""


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_the_rendering_processes_leave_when_the_service_is_killed() -> None:
    service = subprocess.Popen(
        [sys.executable, "-c", SERVICE_WITH_A_POOL], stdout=subprocess.PIPE, text=True
    )
    try:
        assert service.stdout is not None
        workers = [int(pid) for pid in service.stdout.readline().split()]
        assert len(workers) == 2
        assert all(_running(pid) for pid in workers)
        service.kill()  # no chance to stop its pool
        service.wait()
        deadline = time.monotonic() + 30
        while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if _running(pid)]
    finally:
        service.kill()
        service.wait()
