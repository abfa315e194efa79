"""The local development stack: Kafka (KRaft) and Elasticsearch as plain local processes.

One node of each by default; a small cluster on request (stack/nodes.py has the layout).

Docker-free on purpose: binaries come from Maven (versions pinned in stack/pom.xml), state lives
under `settings.stack_dir`, and the services outlive the command that started them.

    from foundation.settings import get_settings
    import stack

    result = stack.up(get_settings(), on_step=print)
    stack.up(get_settings(), shape=stack.Shape(brokers=3, es_nodes=2))  # a local cluster instead
    stack.status(get_settings())   # plain dict, ready for --json
    stack.stop_service(get_settings(), "elasticsearch")  # one service; `up` restarts it
    stack.down(get_settings())
"""

from __future__ import annotations

from .describe import as_dict, describe, describe_status
from .java import JavaRuntime
from .manager import down, status, stop_service, up
from .nodes import MAX_NODES, Shape
from .results import DownResult, ServiceReport, StoppedService, UpResult

__all__ = [
    "DownResult",
    "JavaRuntime",
    "MAX_NODES",
    "ServiceReport",
    "Shape",
    "StoppedService",
    "UpResult",
    "as_dict",
    "describe",
    "describe_status",
    "down",
    "status",
    "stop_service",
    "up",
]
