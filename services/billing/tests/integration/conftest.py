"""The running billing service, for every integration test that needs it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from billing_harness import Billing

from billing.bootstrap import build_spec
from billing.config import BillingSettings
from billing.entrypoints.cli import MIGRATIONS_DIR
from servicekit.settings import KafkaSettings
from servicekit.testing import TemporaryDatabases, service_with_input, settings_for_test


@pytest.fixture
async def billing(databases: TemporaryDatabases, kafka: KafkaSettings) -> AsyncIterator[Billing]:
    settings = await settings_for_test(BillingSettings, databases, kafka, "billing")
    spec = build_spec(settings)
    async with service_with_input(spec, MIGRATIONS_DIR) as (runtime, client, producer):
        yield Billing(runtime, client, kafka, producer)
