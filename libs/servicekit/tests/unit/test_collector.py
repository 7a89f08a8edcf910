"""The garbage collector fitted to a long-running service (ADR 37)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from servicekit.cli import YOUNG_COLLECTION_THRESHOLD, tune_the_collector


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_collector")
def test_what_start_up_built_is_frozen_and_young_collections_are_rarer() -> None:
    built_at_start_up = [{"row": n} for n in range(1000)]
    gc.unfreeze()
    _, middle, old = gc.get_threshold()

    tune_the_collector()

    assert gc.get_freeze_count() >= len(built_at_start_up)
    assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, middle, old)
    assert gc.isenabled()  # cycles made later are still collected
