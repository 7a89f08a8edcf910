"""What the root unit tests share: scripts/bench.py loaded as a module, and billing's in-memory
unit of work (`billing_fakes`, a module of billing's test folder) on the import path."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"

# The one fake of billing's protocol, shared with billing's own tests (pytest does not put test
# folders on the import path).
sys.path.insert(0, str(ROOT / "services" / "billing" / "tests"))


@contextlib.contextmanager
def script_module(name: str) -> Iterator[ModuleType]:
    """scripts/<name>.py loaded as the module `name` (its neighbours importable), while the
    block runs."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(SCRIPTS))
        spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        patch.setitem(sys.modules, name, module)
        spec.loader.exec_module(module)
        yield module


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    """scripts/bench.py as a module (it imports its neighbour demo.py)."""
    with script_module("bench") as module:
        yield module
