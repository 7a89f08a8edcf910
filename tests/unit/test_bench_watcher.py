"""The benchmark's pending-state watcher: when an order left a state, bounded from both sides."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest


class ScriptedLists:
    """An orders API whose list answers are given in advance, one per poll."""

    def __init__(self, answers: list[set[str]]) -> None:
        self.answers: Iterator[set[str]] = iter(answers)

    async def pages(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"id": order_id} for order_id in sorted(next(self.answers))]


def test_an_order_left_after_the_last_poll_that_listed_it_and_before_the_first_that_did_not(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = iter([1.0, 1.0, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5])
    monkeypatch.setattr(bench, "now", lambda: next(clock))
    lists = ScriptedLists([{"a", "b"}, {"b"}, set()])
    watcher = bench.PendingWatcher(lists, "/orders", {"fulfilment": "reserving"}, 0.1)

    async def watch() -> tuple[float, float]:
        # Both enter the state at 1.0; polls are sent at 2.0, 3.0 and 4.0, answered 0.5 later.
        a, b = watcher.expect("a"), watcher.expect("b")
        for _ in range(3):
            await watcher.poll()
        await watcher.stop()
        return a.result(), b.result()

    assert asyncio.run(watch()) == (3.5, 4.5)  # seen out of the state: the upper bounds
    assert watcher.last_listed == {"a": 2.0, "b": 3.0}  # still listed: the lower bounds
