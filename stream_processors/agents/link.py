"""link (researcher.mentions -> researcher.authorships, researcher.merges): link each mention in
its block (the `block-state` table, in parts: `block_store.py`) and emit the merges the new
evidence shows; apply an operator's relink request, which the same topic carries in order with the
block's mentions, and emit its splits and merges."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from foundation.errors import InvalidRecord
from schemas.linking_events import MentionEvent, RelinkRequest, is_relink
from stream_processors.agents.block_store import BlockStore, Staged
from stream_processors.agents.boundary import BatchReport, DeadLetters, Step, run_batch
from stream_processors.agents.state import LinkingState, Topic, timestamp
from stream_processors.linking.merging import DEFAULT_POLICY, MergePolicy
from stream_processors.linking_stage import link_and_merge, relink
from stream_processors.table_store import change_feed


@dataclass
class LinkAgent:
    state: LinkingState
    authorships: Topic
    dead_letters: DeadLetters
    policy: MergePolicy = field(default=DEFAULT_POLICY)  # how links and merges are decided (settings.linker)
    blocks: BlockStore = field(init=False)

    def __post_init__(self) -> None:
        self.blocks = BlockStore(self.state.blocks, changes=change_feed(self.state.blocks))

    async def handle(self, events: Sequence[Any]) -> BatchReport:
        return await run_batch(events, self._step, self._write, self.dead_letters)

    async def _step(self, event: Any, staged: dict[bytes, Any]) -> Step:
        if is_relink(event.value):
            return await self._relink(event, staged)
        mention = MentionEvent.model_validate_json(event.value)
        key = mention.mention.blocking_key.encode()
        current = staged[key] if key in staged else self.blocks.begin(key)
        block, authorship, found = link_and_merge(current.block, mention, timestamp(event), self.policy)
        after = self.blocks.advance(current, block)  # before any send: a block too large fails here
        sends = [await self.authorships.send(key=authorship.arxiv_id.encode(), value=authorship.wire())]
        sends += [await self.state.send_merge(merge) for merge in found]
        return Step(event, sends, key, after)

    async def _relink(self, event: Any, staged: dict[bytes, Any]) -> Step:
        request = RelinkRequest.model_validate_json(event.value)
        key = request.blocking_key.encode()
        current = staged[key] if key in staged else self.blocks.begin(key)
        try:
            block, _, splits, merges = relink(current.block, request, timestamp(event), self.policy)
        except ValueError as error:  # StaleRelink: the block moved on; or a researcher too large to re-cluster
            raise InvalidRecord(str(error), "researcher_id") from error
        after = self.blocks.advance(current, block)
        sends = [await self.state.send_split(split) for split in splits]
        sends += [await self.state.send_merge(merge) for merge in merges]
        return Step(event, sends, key, after)

    def _write(self, key: bytes, staged: Staged) -> None:
        self.blocks.write(key, staged)
