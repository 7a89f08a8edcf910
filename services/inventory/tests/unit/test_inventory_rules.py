"""The inventory rules without a database: reservations, shortages, shipments, adjustments."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from inventory.domain.model import (
    AdjustmentKind,
    Backorder,
    LineStatus,
    ReservationLine,
    ShipmentExceedsReservation,
    Shortage,
    StockLevel,
    StockRuleViolation,
    fulfil_backorders,
    fully_shipped,
    product_demand,
    quantity,
    reserve_all_or_none,
    ship,
    shortages,
    tidy,
)
from inventory.entrypoints.adjustments_schemas import StockAdjustmentCreate

D = Decimal


def levels(**on_hand: str) -> dict[str, StockLevel]:
    return {sku: StockLevel(sku=sku, on_hand=D(q), reserved=D(0)) for sku, q in on_hand.items()}


# --- demand -------------------------------------------------------------------------------------


def test_demand_sums_product_lines_per_sku_and_skips_services() -> None:
    demand = product_demand(
        [
            ("B", "product", D("2")),
            ("A", "product", D("1.5")),
            ("B", "product", D("0.25")),
            ("INSTALL", "service", D("1")),
            ("CABLE", "product", D("3")),  # the catalogue knows CABLE as a service
            ("GHOST", "product", D("1")),  # unknown to the catalogue: stays in
        ],
        services=["CABLE"],
    )
    assert demand == {"A": D("1.5"), "B": D("2.25"), "GHOST": D("1")}
    assert list(demand) == ["A", "B", "GHOST"]  # SKU order: the locking order


def test_an_order_of_services_only_demands_nothing() -> None:
    assert product_demand([("INSTALL", "service", D("1"))]) == {}


# --- shortages and the all-or-none rule --------------------------------------------------------


def test_shortages_name_each_sku_short_with_what_is_available() -> None:
    stock = levels(A="5", B="2")
    stock["A"].reserved = D("4")
    missing = shortages({"A": D("2"), "B": D("2"), "C": D("1")}, stock)
    assert missing == [
        Shortage(sku="A", requested=D("2"), available=D("1")),
        Shortage(sku="C", requested=D("1"), available=D("0")),  # unknown SKU: 0 available
    ]


def test_all_or_none_reserves_nothing_when_one_line_is_short() -> None:
    stock = levels(A="10", B="1")
    missing = reserve_all_or_none({"A": D("3"), "B": D("2")}, stock)
    assert missing == [Shortage(sku="B", requested=D("2"), available=D("1"))]
    assert (stock["A"].reserved, stock["B"].reserved) == (D(0), D(0))


def test_all_or_none_reserves_every_line_when_all_fit_exactly() -> None:
    stock = levels(A="10", B="2")
    assert reserve_all_or_none({"A": D("3"), "B": D("2")}, stock) == []
    assert (stock["A"].reserved, stock["A"].available) == (D("3"), D("7"))
    assert (stock["B"].reserved, stock["B"].available) == (D("2"), D("0"))
    assert reserve_all_or_none({"B": D("0.001")}, stock) == [
        Shortage(sku="B", requested=D("0.001"), available=D("0"))
    ]


def test_backorders_are_served_oldest_first_and_a_misfit_does_not_block_younger() -> None:
    stock = levels(A="5", B="1")
    waiting = [
        Backorder("big", {"A": D("9")}),
        Backorder("first", {"A": D("3"), "B": D("1")}),
        Backorder("second", {"A": D("3")}),  # would fit alone, but "first" came before it
        Backorder("small", {"A": D("2")}),
    ]
    fulfilled = fulfil_backorders(waiting, stock)
    assert [served.order.order_id for served in fulfilled] == ["first", "small"]
    assert (stock["A"].reserved, stock["B"].reserved) == (D("5"), D("1"))


def test_each_served_backorder_keeps_its_levels_as_it_left_them() -> None:
    # Each reservation's ledger row tells the balance after it, not after the last one.
    stock = levels(A="10", B="2")
    waiting = [Backorder("first", {"A": D("3"), "B": D("2")}), Backorder("second", {"A": D("4")})]
    first, second = fulfil_backorders(waiting, stock)
    assert (first.left["A"].reserved, first.left["B"].reserved) == (D("3"), D("2"))
    assert list(second.left) == ["A"]
    assert second.left["A"].reserved == D("7")
    assert second.left["A"] is not stock["A"]
    stock["A"].reserve(D("1"))  # the copies do not follow the level
    assert second.left["A"].reserved == D("7")


# --- adjustments --------------------------------------------------------------------------------


def test_count_correction_sets_on_hand_to_the_count() -> None:
    level = StockLevel(sku="A", on_hand=D("10"), reserved=D("4"))
    assert level.apply_adjustment(AdjustmentKind.COUNT_CORRECTION, D("7")) == D("-3")
    assert level.on_hand == D("7")
    assert level.apply_adjustment(AdjustmentKind.COUNT_CORRECTION, D("12.5")) == D("5.5")
    assert level.apply_adjustment(AdjustmentKind.COUNT_CORRECTION, D("12.5")) == D("0")
    empty = StockLevel(sku="B", on_hand=D("3"), reserved=D("0"))
    assert empty.apply_adjustment(AdjustmentKind.COUNT_CORRECTION, D("0")) == D("-3")
    assert empty.on_hand == D("0")


def test_count_below_reserved_is_refused_and_changes_nothing() -> None:
    level = StockLevel(sku="A", on_hand=D("10"), reserved=D("4"))
    with pytest.raises(StockRuleViolation, match="4 is reserved"):
        level.apply_adjustment(AdjustmentKind.COUNT_CORRECTION, D("3"))
    assert (level.on_hand, level.reserved) == (D("10"), D("4"))


@pytest.mark.parametrize("kind", [AdjustmentKind.DAMAGE, AdjustmentKind.LOSS])
def test_write_offs_may_not_go_negative_or_below_reserved(kind: AdjustmentKind) -> None:
    level = StockLevel(sku="A", on_hand=D("5"), reserved=D("2"))
    with pytest.raises(StockRuleViolation, match="cannot remove 6"):
        level.apply_adjustment(kind, D("6"))
    with pytest.raises(StockRuleViolation, match="reserved"):
        level.apply_adjustment(kind, D("4"))
    assert level.apply_adjustment(kind, D("3")) == D("-3")
    assert (level.on_hand, level.available) == (D("2"), D("0"))


def test_receipts_add_and_need_a_positive_quantity() -> None:
    level = StockLevel(sku="A", on_hand=D("0"), reserved=D("0"))
    assert level.apply_adjustment(AdjustmentKind.RECEIPT, D("2.0005")) == D("2.001")
    for kind in (AdjustmentKind.RECEIPT, AdjustmentKind.DAMAGE, AdjustmentKind.LOSS):
        with pytest.raises(StockRuleViolation, match="above 0"):
            level.apply_adjustment(kind, D("0"))
    assert level.on_hand == D("2.001")


def test_adjustment_body_requires_positive_quantity_except_for_a_count() -> None:
    body = {"sku": "A-1", "kind": "receipt", "quantity": "0", "reason": "delivery"}
    with pytest.raises(ValidationError) as refused:
        StockAdjustmentCreate.model_validate(body)
    assert [e["loc"] for e in refused.value.errors()] == [("quantity",)]
    counted = StockAdjustmentCreate.model_validate({**body, "kind": "count_correction"})
    assert counted.quantity == D("0")
    for field, value in (("reason", "   "), ("quantity", "1.0001"), ("sku", "bad sku")):
        with pytest.raises(ValidationError) as invalid:
            StockAdjustmentCreate.model_validate({**body, "quantity": "1", field: value})
        assert [e["loc"] for e in invalid.value.errors()] == [(field,)]
    with pytest.raises(ValidationError) as invalid:
        StockAdjustmentCreate.model_validate({**body, "quantity": "1", "warehouse": "x y"})
    assert [e["loc"] for e in invalid.value.errors()] == [("warehouse",)]
    named = StockAdjustmentCreate.model_validate({**body, "quantity": "1", "warehouse": "WEST"})
    assert named.warehouse == "WEST"


# --- shipments ----------------------------------------------------------------------------------


def reserved_order(**quantities: str) -> tuple[dict[str, ReservationLine], dict[str, StockLevel]]:
    lines = {sku: ReservationLine("o-1", sku, D(q)) for sku, q in quantities.items()}
    stock = {
        sku: StockLevel(sku=sku, on_hand=D("100"), reserved=D(q)) for sku, q in quantities.items()
    }
    return lines, stock


def test_partial_then_full_shipment() -> None:
    lines, stock = reserved_order(A="10", B="4")
    first = ship({"A": D("6")}, lines, stock)
    assert not first.fully_shipped
    assert lines["A"].status is LineStatus.PARTIALLY_SHIPPED
    assert (stock["A"].on_hand, stock["A"].reserved) == (D("94"), D("4"))
    second = ship({"A": D("4"), "B": D("4")}, lines, stock)
    assert second.fully_shipped
    assert {line.status for line in lines.values()} == {LineStatus.SHIPPED}
    assert (stock["B"].on_hand, stock["B"].reserved) == (D("96"), D("0"))


def test_over_shipping_is_refused_naming_the_sku_and_changes_nothing() -> None:
    lines, stock = reserved_order(A="10", B="4")
    ship({"B": D("1")}, lines, stock)
    with pytest.raises(ShipmentExceedsReservation) as refused:
        ship({"A": D("2"), "B": D("3.5")}, lines, stock)
    assert refused.value.sku == "B"
    assert refused.value.open_quantity == D("3")
    assert "B" in str(refused.value)
    assert (lines["A"].shipped, lines["B"].shipped) == (D("0"), D("1"))
    assert (stock["A"].reserved, stock["B"].reserved) == (D("10"), D("3"))
    with pytest.raises(ShipmentExceedsReservation, match="NOT-RESERVED"):
        ship({"NOT-RESERVED": D("1")}, lines, stock)


def test_released_and_backordered_lines_cannot_ship() -> None:
    lines, stock = reserved_order(A="10")
    ship({"A": D("4")}, lines, stock)
    assert lines["A"].release_open() == D("6")
    assert lines["A"].status is LineStatus.RELEASED
    with pytest.raises(ShipmentExceedsReservation):
        ship({"A": D("1")}, lines, stock)
    waiting = {"B": ReservationLine("o-2", "B", D("1"), backordered=True)}
    with pytest.raises(ShipmentExceedsReservation):
        ship({"B": D("1")}, waiting, levels(B="5"))
    assert not fully_shipped(waiting.values())


def test_quantities_round_half_up_and_print_without_trailing_zeros() -> None:
    assert quantity("1.0005") == D("1.001")
    assert str(tidy(D("10.000"))) == "10"
    assert str(tidy(D("2.500"))) == "2.5"
    assert str(tidy(D("-0.000"))) == "0"
    assert str(tidy(D("1E+2"))) == "100"
