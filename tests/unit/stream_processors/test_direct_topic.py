"""An agent's output topic hands each record to the app's producer and gives back the producer's
delivery future (the end-to-end path through Kafka is every integration test of the worker)."""

from __future__ import annotations

import asyncio
from typing import Any

from stream_processors.direct_topic import DirectTopic


class Producer:
    def __init__(self) -> None:
        self.sent: list[tuple[Any, ...]] = []
        self.futures: list[asyncio.Future] = []

    async def send(self, topic: str, key: bytes | None, value: bytes, *, partition, timestamp, headers) -> asyncio.Future:
        self.sent.append((topic, key, value, partition, timestamp, headers))
        future = asyncio.get_running_loop().create_future()
        self.futures.append(future)
        return future


class App:
    def __init__(self) -> None:
        self.producer = Producer()


def test_a_record_goes_to_the_producer_and_its_delivery_future_comes_back():
    async def send() -> tuple[Any, Any]:
        app = App()
        topic = DirectTopic(app, "ns.researcher.works")
        delivery = await topic.send(key=b"r-1", value=b"{}")
        app.producer.futures[0].set_result("metadata")
        return app.producer.sent, await delivery

    sent, acknowledged = asyncio.run(send())
    assert sent == [("ns.researcher.works", b"r-1", b"{}", None, None, None)]
    assert acknowledged == "metadata"
