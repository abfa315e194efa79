"""A flush before a commit waits for every table write in faust's producer buffer.

The buffer is faust's own `ProducerBuffer`, running its own sending task; only the hand-over to
aiokafka (`_send_pending`) is replaced by one that takes 0.3 s a record and notes what it handed
over, the slowness a busy event loop or a partition's metadata lookup gives the real one. The
sequence against Kafka (a worker SIGKILLed right after a commit) is the fault test
`tests/faults/test_worker_sigkill.py`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import faust
import pytest

from stream_processors.producer_flush import BufferStopped, flush_completely

HANDOVER_SECONDS = 0.3


def _buffer(complete: bool, seconds: float = HANDOVER_SECONDS):
    app = faust.App("producer-flush-test", broker="kafka://localhost:1", store="memory://")
    buffer: Any = app.producer.buffer  # faust.transport.producer.ProducerBuffer
    handed: list[str] = []

    async def slow_handover(fut: str) -> None:
        await asyncio.sleep(seconds)
        handed.append(fut)

    buffer._send_pending = slow_handover  # the hand-over to aiokafka, replaced
    if complete:
        flush_completely(buffer)
    return buffer, handed


async def _put_then_flush(complete: bool) -> tuple[list[str], int]:
    buffer, handed = _buffer(complete)
    await buffer.start()
    try:
        for name in ("block", "paper line", "head"):
            buffer.put(name)
        await buffer.flush()
        result = list(handed), buffer.size
        await asyncio.sleep(HANDOVER_SECONDS * 4)  # let faust's flush-on-stop find nothing left
        return result
    finally:
        await buffer.stop()


def test_fausts_own_flush_returns_with_table_writes_still_in_the_buffer():
    """The behaviour this module exists for: if faust fixes it, this test says so."""
    handed, left = asyncio.run(_put_then_flush(complete=False))
    assert len(handed) < 3 and left > 0


def test_the_complete_flush_returns_only_once_every_record_was_handed_over():
    handed, left = asyncio.run(_put_then_flush(complete=True))
    assert handed == ["block", "paper line", "head"] and left == 0


def test_a_flush_with_nothing_buffered_returns_at_once():
    async def flush_empty() -> float:
        buffer, _ = _buffer(complete=True)
        await buffer.start()
        try:
            started = asyncio.get_running_loop().time()
            await buffer.flush()
            return asyncio.get_running_loop().time() - started
        finally:
            await buffer.stop()

    assert asyncio.run(flush_empty()) < HANDOVER_SECONDS


def test_a_stopped_buffer_with_records_refuses_to_flush_instead_of_waiting_forever():
    async def flush_stopped() -> None:
        buffer, _ = _buffer(complete=True)
        for name in ("block", "head"):
            buffer.put(name)  # never started: nothing takes them
        buffer._started.set()
        buffer._stopped.set()  # the state a stopping worker's buffer is in
        await buffer.flush()

    with pytest.raises(BufferStopped, match="2 record"):
        asyncio.run(flush_stopped())


def test_patching_twice_wraps_the_handover_once():
    buffer, handed = _buffer(complete=True)
    first = buffer._send_pending
    flush_completely(buffer)
    assert buffer._send_pending is first and handed == []


def test_back_pressure_waits_until_the_buffer_is_down_to_half_its_limit():
    async def ebb() -> tuple[int, int, int]:
        buffer, handed = _buffer(complete=True, seconds=0.001)
        await buffer.start()
        try:
            for n in range(buffer.max_messages // 2):
                buffer.put(f"write {n}")
            await buffer.wait_until_ebb()  # under the limit: at once
            at_once = len(handed)
            for n in range(buffer.max_messages + 30):
                buffer.put(f"more {n}")
            await buffer.wait_until_ebb()
            result = at_once, buffer.size, len(handed)
            await buffer.flush()
            return result
        finally:
            await buffer.stop()

    at_once, left, handed = asyncio.run(ebb())
    assert at_once < 10, "a buffer under its limit does not hold the consumer back"
    assert left <= 50 and handed >= 130, (left, handed)


def test_back_pressure_on_a_stopped_buffer_raises_instead_of_waiting_forever():
    async def ebb_stopped() -> None:
        buffer, _ = _buffer(complete=True)
        for n in range(buffer.max_messages + 1):
            buffer.put(f"write {n}")  # never started: nothing takes them
        buffer._started.set()
        buffer._stopped.set()
        await buffer.wait_until_ebb()

    with pytest.raises(BufferStopped, match="101 record"):
        asyncio.run(ebb_stopped())
