"""Fixtures shared by the billing tests; the fake and the builders they use are modules of this
folder, importable from both test folders."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contracts import CloudEvent
from contracts.common import OrderSnapshot

# Both test folders import `billing_fakes` and `billing_builders` from here (pytest does not put
# test folders on the import path).
sys.path.insert(0, str(Path(__file__).parent))

from billing_builders import build_order, completed


@pytest.fixture
def make_order() -> Callable[..., OrderSnapshot]:
    return build_order


@pytest.fixture
def completed_event() -> Callable[[OrderSnapshot], CloudEvent[Any]]:
    return completed
