"""One base error for the project; services' own errors are translated into these at the boundary."""

from __future__ import annotations


class ScholarStreamError(Exception):
    """Base of every error ScholarStream raises on purpose."""


class ConfigError(ScholarStreamError):
    """A setting is missing or malformed."""


class ServiceUnavailable(ScholarStreamError):
    """Kafka or Elasticsearch did not answer at the configured address."""

    def __init__(self, service: str, address: str, hint: str = "") -> None:
        self.service = service
        self.address = address
        self.hint = hint
        message = f"{service} is not reachable at {address}"
        super().__init__(f"{message}. {hint}" if hint else message)


class NotAuthorized(ScholarStreamError):
    """A service refused the request for this client's identity (Kafka ACLs): retrying will not help."""


class StackError(ScholarStreamError):
    """The local Kafka/Elasticsearch stack could not be started, stopped or inspected."""


class InvalidRecord(ScholarStreamError):
    """A payload does not satisfy the event contract; carries the reason for the dead-letter topic."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        self.reason = reason
        self.field = field
        super().__init__(reason)


class IndexingError(ScholarStreamError):
    """Elasticsearch refused or failed a write."""


class SearchError(ScholarStreamError):
    """A search request was invalid or Elasticsearch failed to answer it."""
