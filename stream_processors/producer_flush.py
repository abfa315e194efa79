"""faust's producer buffer, flushed completely before an offset commit.

A faust table write (`table[key] = value`) is not sent when it is made: its changelog record goes
into the producer's buffer (`ProducerBuffer`), which a background task hands to aiokafka one
record at a time. Before committing offsets the consumer flushes the producer, and the commit is
safe only if every table write of the committed records reached Kafka first.

faust 0.15.3's `ProducerBuffer.flush` does not promise that: it waits for the buffer to shrink
one record at a time, and gives up and returns as soon as one record takes longer than 0.1 s to
be handed over (a busy event loop, or aiokafka waiting for a partition's metadata). The commit
then goes ahead with table writes still in the buffer; a worker killed at that moment restarts
past records whose state it never stored. Found by reading faust while looking for why a CI run of
the fault test that SIGKILLs the worker three times (`tests/faults/test_worker_sigkill.py`)
indexed 54 fewer researchers than the uninterrupted run. Not shown to be that failure's cause: in
a run of that test with faust's flush and both cores kept busy, none of the 40 commits went ahead
of a table write made before it (docs/architecture.md, "Linking and profiles").

`flush_completely` makes the buffer's flush wait until every record put into it has been handed
to aiokafka (whose own flush, which faust calls next, then waits for the broker's acks): each
record handed over is marked done on the buffer's queue, and the flush joins the queue. Like
faust's, it refuses (raises) when the buffer has stopped with records it will never send.

It also replaces the buffer's back-pressure (`wait_until_ebb`, which faust's conductor awaits
before every record it consumes). faust's, once the buffer holds more than `max_messages` (100)
records, waits for up to 100 of them to be handed over one by one, each with its own
`asyncio.wait_for` (a task and a timer), logging a warning and an info line each time: 1,387 times
over 10,000 papers in the worker's profile, with buffers of 105 to 422 records, 1.2 % of the
worker's CPU. Here one future is woken once the buffer is down to half of `max_messages`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

log = logging.getLogger(__name__)

# How often a waiting flush checks that the buffer is still running (a stopped buffer never drains).
POLL_SECONDS = 0.5
# faust's own flush gives up once one record takes this long to be handed over.
FAUST_PATIENCE_SECONDS = 0.1


class BufferStopped(RuntimeError):
    """The producer buffer stopped with records still in it: they cannot be flushed."""


def flush_completely(buffer: Any) -> None:
    """Make `buffer` (a faust `ProducerBuffer`, before it starts) flush every record it was given,
    and wait for it to ebb with one wake-up.

    Must run before the buffer's service starts: its sending task reads `_send_pending` once,
    when it starts. The threaded producer (`producer_threaded`) has a buffer of its own and is
    refused."""
    if buffer.app is not None and buffer.app.conf.producer_threaded:
        raise ValueError("flush_completely covers faust's in-loop producer buffer, not the threaded producer")
    if getattr(buffer, "_scholarstream_flushes_completely", False):
        return
    queue: asyncio.Queue = buffer.pending
    send = buffer._send_pending

    ebbed: list[asyncio.Future] = []  # the back-pressure's waiters, woken when the buffer is low again
    low = buffer.max_messages // 2

    async def send_and_mark_done(fut: Any) -> None:
        try:
            await send(fut)
        finally:
            queue.task_done()
            if ebbed and queue.qsize() <= low:
                for waiter in ebbed:
                    if not waiter.done():
                        waiter.set_result(None)
                ebbed.clear()

    async def wait_until_ebb() -> None:
        if queue.qsize() <= buffer.max_messages:
            return
        waiter = asyncio.get_running_loop().create_future()
        ebbed.append(waiter)
        while not waiter.done():
            if buffer.state != "running":  # its sending task has stopped taking records
                raise BufferStopped(f"the producer buffer is {buffer.state} with {queue.qsize()} record(s) unsent")
            await asyncio.wait({waiter}, timeout=POLL_SECONDS)

    async def flush() -> None:
        started, waiting = time.monotonic(), queue._unfinished_tasks  # type: ignore[attr-defined]
        while queue._unfinished_tasks:  # type: ignore[attr-defined]  # asyncio.Queue's count of records not yet marked done
            if buffer.state != "running" and queue.qsize():  # its sending task has stopped taking records
                raise BufferStopped(f"the producer buffer is {buffer.state} with {queue.qsize()} record(s) unsent")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(queue.join(), timeout=POLL_SECONDS)
        waited = time.monotonic() - started
        if waited > FAUST_PATIENCE_SECONDS:  # faust's flush may have returned with some of them unsent
            log.info("flushing the producer buffer waited %.2f s for %d record(s) (table writes)", waited, waiting)

    buffer._send_pending = send_and_mark_done
    buffer.flush = flush
    buffer.wait_until_ebb = wait_until_ebb
    buffer._scholarstream_flushes_completely = True
