"""The benchmark's statement census: pg_stat_statements' lines, per order and service."""

from __future__ import annotations

from types import ModuleType

import pytest


def test_statements_are_counted_per_order_by_service_busiest_first(bench: ModuleType) -> None:
    stat = bench.StatementStat
    census = bench.statements_per_order(
        [
            stat("orders", "BEGIN", 40, 0.8),
            stat("orders", "SELECT  h.id\n  FROM orders h WHERE h.id = $1", 60, 12.0),
            stat("orders", "COMMIT", 40, 20.0),
            stat("orders", "UPDATE orders SET status = $1", 10, 5.0),
            stat("billing", "INSERT INTO invoices VALUES ($1)", 20, 4.0),
            stat("suite_bench_floor", "UPDATE pgbench_accounts SET abalance = $1", 999, 9.0),
        ],
        orders=20,
        top=2,
    )

    assert list(census) == ["orders", "inventory", "billing", "documents"]  # the floor's left out
    orders = census["orders"]
    assert orders["per_order"] == pytest.approx(150 / 20)
    assert orders["exec_ms_per_order"] == pytest.approx(37.8 / 20)
    assert orders["top"] == [
        {
            "per_order": 3.0,
            "mean_ms": pytest.approx(0.2),
            "query": "SELECT h.id FROM orders h WHERE h.id = $1",  # on one line
        },
        {"per_order": 2.0, "mean_ms": pytest.approx(0.02), "query": "BEGIN"},
    ]
    assert census["billing"]["per_order"] == pytest.approx(1.0)
    assert census["inventory"] == {"per_order": 0.0, "exec_ms_per_order": 0.0, "top": []}


def test_the_report_says_when_nothing_was_counted(
    bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    bench.print_statements(None, 200)

    printed = capsys.readouterr().out
    assert "not counted" in printed
    assert "PG_STATEMENT_STATS=1" in printed  # how to have them counted
