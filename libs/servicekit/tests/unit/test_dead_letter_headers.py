"""The headers a dead letter carries: the original ones, as text, plus why and where it failed."""

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
