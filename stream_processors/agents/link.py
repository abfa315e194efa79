"""link (researcher.mentions -> researcher.authorships, researcher.merges): link each mention in
its block (the `blocks` table, keyed by blocking key) and emit the merges the new evidence shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from schemas.linking_events import MentionEvent
from stream_processors.agents.boundary import BatchReport, DeadLetters, Step, run_batch
from stream_processors.agents.state import LinkingState, Topic, timestamp
from stream_processors.linking.merging import DEFAULT_POLICY, MergePolicy
from stream_processors.linking.state_codec import dumps_block
from stream_processors.linking_stage import link_and_merge


@dataclass
class LinkAgent:
    state: LinkingState
    authorships: Topic
    dead_letters: DeadLetters
    policy: MergePolicy = field(default=DEFAULT_POLICY)  # how links and merges are decided (settings.linker)

    async def handle(self, events: Sequence[Any]) -> BatchReport:
        return await run_batch(events, self._step, self._write, self.dead_letters)

    async def _step(self, event: Any, staged: dict[bytes, Any]) -> Step:
        mention = MentionEvent.model_validate_json(event.value)
        key = mention.mention.blocking_key.encode()
        block = staged[key] if key in staged else self.state.block_cache.get(key, self.state.blocks.get(key))
        block, authorship, found = link_and_merge(block, mention, timestamp(event), self.policy)
        sends = [await self.authorships.send(key=authorship.arxiv_id.encode(), value=authorship.model_dump_json().encode())]
        sends += [await self.state.send_merge(merge) for merge in found]
        return Step(event, sends, key, block)

    def _write(self, key: bytes, block: Any) -> None:
        self.state.blocks[key] = self.state.block_cache.put(key, block, dumps_block(block))
