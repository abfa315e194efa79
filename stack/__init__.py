"""The local development stack: one Kafka (KRaft) and one Elasticsearch as plain local processes.

Docker-free on purpose: binaries come from Maven (versions pinned in stack/pom.xml), state lives
under `settings.stack_dir`, and the services outlive the command that started them.

    from foundation.settings import get_settings
    import stack

    result = stack.up(get_settings(), on_step=print)
    stack.status(get_settings())   # plain dict, ready for --json
    stack.stop_service(get_settings(), "elasticsearch")  # one service; `up` restarts it
    stack.down(get_settings())
"""

from __future__ import annotations

from .describe import as_dict, describe
from .java import JavaRuntime
from .manager import down, status, stop_service, up
from .results import DownResult, ServiceReport, StoppedService, UpResult

__all__ = [
    "DownResult",
    "JavaRuntime",
    "ServiceReport",
    "StoppedService",
    "UpResult",
    "as_dict",
    "describe",
    "down",
    "status",
    "stop_service",
    "up",
]
