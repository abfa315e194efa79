"""The worker's agents, one handler per agent with a `handle(events)` that tests call directly;
`stream_processors/app.py` builds the topics and tables and runs each as a thin loop."""

from stream_processors.agents.assemble import AssembleAgent
from stream_processors.agents.boundary import DeadLetters, DeliveryLost
from stream_processors.agents.enrich import EnrichAgent
from stream_processors.agents.link import LinkAgent
from stream_processors.agents.merges import MergesAgent
from stream_processors.agents.moves import MergeMovesAgent
from stream_processors.agents.profiles import ProfilesAgent
from stream_processors.agents.route import RouteAgent
from stream_processors.agents.signals import SignalsAgent
from stream_processors.agents.state import LinkingState

__all__ = [
    "AssembleAgent", "DeadLetters", "DeliveryLost", "EnrichAgent", "LinkAgent", "LinkingState", "MergeMovesAgent",
    "MergesAgent", "ProfilesAgent", "RouteAgent", "SignalsAgent",
]
