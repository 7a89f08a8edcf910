"""The inventory service under test with its Kafka input, for the tests that need a shipped
order (returns, exports)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from warehouse_client import Warehouse

from inventory.bootstrap import build_spec
from inventory.config import InventorySettings
from inventory.entrypoints.cli import MIGRATIONS_DIR
from servicekit.settings import KafkaSettings
from servicekit.testing import TemporaryDatabases, service_with_input, settings_for_test


@pytest.fixture
async def warehouse(
    databases: TemporaryDatabases, kafka: KafkaSettings
) -> AsyncIterator[Warehouse]:
    settings = await settings_for_test(InventorySettings, databases, kafka, "inventory")
    async with service_with_input(build_spec(settings), MIGRATIONS_DIR) as (_, client, producer):
        yield Warehouse(client, kafka, producer)
