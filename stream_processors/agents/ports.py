"""What the agents need of faust's tables and topics: anything of that shape, so unit tests hand
in dicts and in-memory topics."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Protocol, overload


class Topic(Protocol):
    """faust's `TopicT.send`: awaiting it queues the record and gives the delivery future."""

    async def send(self, *, key: bytes | None, value: bytes) -> Awaitable[Any]: ...


class Table(Protocol):
    """faust's `Table` (a `MutableMapping`), or a dict: `get` takes its arguments by position."""

    @overload
    def get(self, key: bytes, /) -> Any: ...

    @overload
    def get(self, key: bytes, default: Any, /) -> Any: ...

    def __setitem__(self, key: bytes, value: bytes) -> None: ...

    def __delitem__(self, key: bytes) -> None: ...
