"""The supervised background loop: rounds, wake-ups, backoff after failures, clean stops."""

from __future__ import annotations

import asyncio
import logging

import pytest

from servicekit.background import BackgroundLoop


class Steps:
    """A step that records its calls and fails or waits as the test says."""

    def __init__(self, *, failures: int = 0, wait: float | None = None) -> None:
        self.calls: list[float] = []
        self.failures = failures
        self.wait = wait
        self.called = asyncio.Event()

    async def __call__(self) -> float | None:
        self.calls.append(asyncio.get_running_loop().time())
        self.called.set()
        if len(self.calls) <= self.failures:
            raise RuntimeError(f"round {len(self.calls)} broke")
        return self.wait

    async def next_call(self, within: float = 5.0) -> None:
        self.called.clear()
        await asyncio.wait_for(self.called.wait(), within)


async def test_rounds_repeat_at_the_interval_until_stopped() -> None:
    steps = Steps()
    loop = BackgroundLoop("ticker", steps, interval=0.02)
    await loop.start()
    assert loop.running
    for _ in range(3):
        await steps.next_call()
    await loop.stop()
    assert not loop.running
    count = len(steps.calls)
    await asyncio.sleep(0.1)
    assert len(steps.calls) == count  # nothing runs after stop()


async def test_wake_runs_a_round_before_the_interval() -> None:
    steps = Steps()
    loop = BackgroundLoop("sleepy", steps, interval=60)
    await loop.start()
    await steps.next_call()
    loop.wake()
    await steps.next_call(within=5)  # not 60 seconds
    assert len(steps.calls) == 2
    await loop.stop()


async def test_the_step_chooses_its_wait() -> None:
    steps = Steps(wait=0)  # "again at once", e.g. after a full batch
    loop = BackgroundLoop("busy", steps, interval=60)
    await loop.start()
    for _ in range(5):
        await steps.next_call(within=5)
    await loop.stop()
    assert len(steps.calls) >= 6


async def test_failures_are_logged_cleaned_up_and_retried_with_doubling_backoff(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR)
    steps = Steps(failures=3)
    cleanups: list[int] = []

    async def clean_up() -> None:
        cleanups.append(len(steps.calls))

    loop = BackgroundLoop(
        "flaky", steps, interval=60, first_backoff=0.05, max_backoff=0.1, on_error=clean_up
    )
    await loop.start()
    for _ in range(4):
        await steps.next_call(within=5)
    await loop.stop()
    assert cleanups == [1, 2, 3]  # after each failed round, before the retry
    gaps = [later - earlier for earlier, later in zip(steps.calls, steps.calls[1:], strict=False)]
    assert gaps[0] >= 0.04  # 0.05
    assert gaps[1] >= 0.09  # 0.1
    assert gaps[2] >= 0.09  # capped at 0.1
    assert caplog.text.count("flaky failed; retrying in") == 3
    assert "round 1 broke" in caplog.text  # with the traceback


async def test_a_wake_does_not_cut_a_backoff_short() -> None:
    steps = Steps(failures=1)
    loop = BackgroundLoop("patient", steps, interval=60, first_backoff=0.5)
    await loop.start()
    await steps.next_call()
    loop.wake()
    await asyncio.sleep(0.2)
    assert len(steps.calls) == 1  # still backing off
    await steps.next_call(within=5)
    await loop.stop()


async def test_a_failing_clean_up_is_logged_and_the_loop_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    steps = Steps(failures=1)

    async def broken_clean_up() -> None:
        raise OSError("cannot close")

    loop = BackgroundLoop(
        "sloppy", steps, interval=60, first_backoff=0.01, on_error=broken_clean_up
    )
    await loop.start()
    await steps.next_call()
    await steps.next_call()
    await loop.stop()
    assert "sloppy could not clean up" in caplog.text


async def test_stop_lets_the_round_in_progress_finish() -> None:
    finished = asyncio.Event()
    started = asyncio.Event()
    seen_stopping: list[bool] = []

    async def slow() -> float | None:
        started.set()
        await asyncio.sleep(0.1)
        seen_stopping.append(loop.stopping)
        finished.set()
        return None

    loop = BackgroundLoop("careful", slow, interval=60)
    await loop.start()
    await started.wait()
    await loop.stop()
    assert finished.is_set()
    assert seen_stopping == [True]  # a long round can see that it should end early


async def test_stop_cancels_a_round_that_outlasts_the_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def stuck() -> float | None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return None

    loop = BackgroundLoop("stuck", stuck, interval=60, stop_timeout=0.05)
    await loop.start()
    await started.wait()
    await asyncio.wait_for(loop.stop(), 5)
    assert cancelled.is_set()
    assert "stuck did not stop within" in caplog.text

    at_once = BackgroundLoop("impatient", stuck, interval=60, stop_timeout=0)
    started.clear()
    cancelled.clear()
    await at_once.start()
    await started.wait()
    await asyncio.wait_for(at_once.stop(), 1)
    assert cancelled.is_set()


async def test_start_twice_is_one_loop_and_it_can_start_again_after_stop() -> None:
    steps = Steps()
    loop = BackgroundLoop("once", steps, interval=60)
    await loop.start()
    await loop.start()
    await steps.next_call()
    await asyncio.sleep(0.05)
    assert len(steps.calls) == 1
    await loop.stop()
    await loop.stop()  # a second stop is harmless
    await loop.start()
    await steps.next_call()
    assert len(steps.calls) == 2
    await loop.stop()


async def test_run_in_the_callers_task_ends_after_stop() -> None:
    steps = Steps()
    loop = BackgroundLoop("inline", steps, interval=60)
    runner = asyncio.create_task(loop.run())
    await steps.next_call()
    await loop.stop()
    await asyncio.wait_for(runner, 1)


def test_nonsense_timings_are_refused() -> None:
    async def step() -> None:
        return None

    for kwargs in (
        {"interval": -1},
        {"interval": 1, "first_backoff": 0},
        {
            "interval": 1,
            "first_backoff": 2,
            "max_backoff": 1,
        },
    ):
        with pytest.raises(ValueError, match="backoff"):
            BackgroundLoop("bad", step, **kwargs)  # type: ignore[arg-type]
