"""Schemathesis against each running service's OpenAPI document: no 5xx, no schema violations."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from servicekit.testing import SERVICES, Suite, token

CHECKS = "not_a_server_error,response_schema_conformance"


def schemathesis_command() -> list[str]:
    executable = Path(sys.executable).with_name("schemathesis")
    found = str(executable) if executable.exists() else shutil.which("schemathesis")
    assert found, "schemathesis is a dev dependency of the workspace"
    return [found]


# Orders alone has over a hundred operations: more than the suite-wide 5-minute test budget on a
# loaded machine.
@pytest.mark.timeout(900)
@pytest.mark.parametrize("service", SERVICES)
async def test_openapi_contract_holds_under_generated_requests(suite: Suite, service: str) -> None:
    command = [
        *schemathesis_command(),
        "run",
        f"{suite.url(service)}/openapi.json",
        "--checks",
        CHECKS,
        "--header",
        f"Authorization: Bearer {token('admin', subject='schemathesis')}",
        "--max-examples",
        "15",
        "--seed",
        "20261123",
        "--request-timeout",
        "20",
        "--phases",
        "examples,coverage,fuzzing",
        "--suppress-health-check",
        "all",
    ]
    result = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, timeout=840, check=False
    )
    report = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, f"schemathesis found problems in {service}:\n{report}"
