"""The headers a dead letter carries (the original ones, as text, plus why and where it failed),
and which letters are copies of another (the same message dead-lettered again)."""

from __future__ import annotations

from aiokafka import ConsumerRecord

from servicekit import dlq


def test_dead_letter_headers_keep_the_original_ones_as_text_and_add_ours() -> None:
    record: ConsumerRecord[bytes, bytes] = ConsumerRecord(
        topic="orders.events",
        partition=2,
        offset=41,
        timestamp=0,
        timestamp_type=0,
        key=b"o-1",
        value=b"{}",
        checksum=None,
        serialized_key_size=3,
        serialized_value_size=2,
        headers=[
            ("ce_type", b"suite.order.cancelled.v1"),
            ("binary", b"\xff"),
            (dlq.ERROR, b"old"),
        ],
    )
    headers = dlq.dead_letter_headers(
        record, consumer="billing", error=ValueError("bad payload"), attempts=3
    )
    assert headers["ce_type"] == "suite.order.cancelled.v1"
    assert headers["binary"] == "\ufffd"  # not UTF-8: replaced, as replay reads it anyway
    assert headers[dlq.ERROR] == "bad payload"  # ours win over a stale copy
    assert (headers[dlq.ORIGINAL_TOPIC], headers[dlq.ORIGINAL_PARTITION]) == ("orders.events", "2")
    assert (headers[dlq.ORIGINAL_OFFSET], headers[dlq.ATTEMPTS]) == ("41", "3")
    assert (headers[dlq.CONSUMER], headers[dlq.ERROR_TYPE]) == ("billing", "ValueError")


def _letter(offset: int, origin: tuple[str, str, str] | None) -> dlq.DeadLetter:
    headers = {"ce_type": "suite.order.cancelled.v1"}
    if origin is not None:
        topic, partition, original_offset = origin
        headers |= {
            dlq.ORIGINAL_TOPIC: topic,
            dlq.ORIGINAL_PARTITION: partition,
            dlq.ORIGINAL_OFFSET: original_offset,
        }
    return dlq.DeadLetter("orders.events.dlq", 1, offset, b"o-1", b"{}", headers)


def test_a_letter_of_a_message_an_earlier_letter_was_made_of_is_its_copy() -> None:
    first = _letter(0, ("orders.events", "2", "41"))
    other_offset = _letter(1, ("orders.events", "2", "42"))
    other_topic = _letter(2, ("billing.events", "2", "41"))
    again = _letter(3, ("orders.events", "2", "41"))
    once_more = _letter(4, ("orders.events", "2", "41"))
    unknown = _letter(5, None)  # no origin headers: never anyone's copy
    unknown_again = _letter(6, None)
    letters = [first, other_offset, other_topic, again, once_more, unknown, unknown_again]

    assert dlq.copies_of(letters) == {(1, 3): first, (1, 4): first}
    assert dlq.letter_document(again, 100, first)["copy_of"] == {"partition": 1, "offset": 0}
    assert dlq.letter_document(first, 100)["copy_of"] is None
