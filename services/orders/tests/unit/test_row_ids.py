"""Ids as the tables hold them: every form of a UUID names the same row, nothing else any."""

import uuid

import pytest

from orders.adapters.rows import canonical_id

_ID = "0b7e6c1e-3f5a-4d2b-9c8e-1a2b3c4d5e6f"


@pytest.mark.parametrize(
    "given",
    [
        _ID,
        _ID.upper(),
        _ID.replace("-", ""),
        "{" + _ID + "}",
        "urn:uuid:" + _ID,
    ],
)
def test_every_form_of_an_id_reads_as_its_canonical_form(given: str) -> None:
    assert canonical_id(given) == _ID


def test_a_canonical_id_is_its_own_answer() -> None:
    assert canonical_id(_ID) is _ID


@pytest.mark.parametrize(
    "given",
    [None, 42, uuid.UUID(_ID), "", "not-an-id", _ID + "0", _ID[:-1], _ID + "\n", " " + _ID],
)
def test_anything_else_names_nothing(given: object) -> None:
    assert canonical_id(given) is None
