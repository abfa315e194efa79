"""The Elasticsearch client built from settings, with Elasticsearch's errors translated here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError
from elasticsearch import ConnectionError as ESConnectionError
from elasticsearch.serializer import OrjsonSerializer

from foundation.errors import SearchError, ServiceUnavailable
from foundation.settings import Settings


def client_options(settings: Settings) -> dict[str, Any]:
    """Authentication (an API key, or basic auth) and, for https, TLS verification (against the CA
    file, else the system's trust store; ELASTICSEARCH_VERIFY_CERTS=false turns checks off)."""
    # orjson encodes bulk bodies (documents with 384-float vectors) several times faster than json.
    options: dict[str, Any] = {
        "request_timeout": 30, "retry_on_timeout": True, "max_retries": 2, "serializer": OrjsonSerializer(),
    }
    if settings.elasticsearch_api_key is not None:
        options["api_key"] = settings.elasticsearch_api_key.get_secret_value()
    elif settings.elasticsearch_username and settings.elasticsearch_password is not None:
        options["basic_auth"] = (settings.elasticsearch_username, settings.elasticsearch_password.get_secret_value())
    if settings.elasticsearch_url.startswith("https:"):
        options["verify_certs"] = settings.elasticsearch_verify_certs
        if settings.elasticsearch_ca_certs is not None:
            options["ca_certs"] = str(settings.elasticsearch_ca_certs)
        if not settings.elasticsearch_verify_certs:
            options["ssl_show_warn"] = False  # the operator's choice; a warning per request would bury the logs
    return options


def client(settings: Settings, **overrides: Any) -> Elasticsearch:
    """A client of every node ELASTICSEARCH_URL names: requests go round the nodes, and one that fails
    to connect is set aside for a while and the request retried on another."""
    return Elasticsearch(settings.elasticsearch_urls, **{**client_options(settings), **overrides})


def unavailable(settings: Settings) -> ServiceUnavailable:
    hint = (
        "Start the local stack with `scholarstream stack up`."
        if settings.elasticsearch_is_default
        else "Check ELASTICSEARCH_URL."
    )
    return ServiceUnavailable("Elasticsearch", settings.elasticsearch_display_url, hint)


def check_reachable(settings: Settings, es: Elasticsearch) -> None:
    """Fail fast with a helpful message (the local build has no `GET /`, so ask for health)."""
    try:
        es.options(request_timeout=5, max_retries=0).cluster.health()
    except ESConnectionError as error:
        raise unavailable(settings) from error


def replicas_for(data_nodes: int, configured: int | None = None) -> int:
    """Replicas of a new index: as configured (SCHOLARSTREAM_INDEX_REPLICAS), else one once the
    cluster has two data nodes to put it on (on one node a replica is never allocated and the
    index stays yellow), else none."""
    if configured is not None:
        return configured
    return 1 if data_nodes >= 2 else 0


def index_replicas(settings: Settings, es: Elasticsearch) -> int:
    """`replicas_for` the live cluster's data nodes (not asked when the setting names the number)."""
    if settings.index_replicas is not None:
        return settings.index_replicas
    try:
        health = es.cluster.health()
    except ESConnectionError as error:
        raise unavailable(settings) from error
    return replicas_for(int(health["number_of_data_nodes"]))


@contextmanager
def search_errors(settings: Settings, action: str = "search", missing: str | None = None) -> Iterator[None]:
    """Elasticsearch's failures in the block as the project's, the cause kept (`raise ... from`):
    no connection is `ServiceUnavailable`; a refusal is `SearchError("Elasticsearch refused the
    <action>: ...")`, or `SearchError(missing)` for a missing index or document when `missing` is
    given. A caller that expects a 404 catches `NotFoundError` inside the block."""
    try:
        yield
    except ESConnectionError as error:
        raise unavailable(settings) from error
    except ApiError as error:
        if missing is not None and isinstance(error, NotFoundError):
            raise SearchError(missing) from error
        raise SearchError(f"Elasticsearch refused the {action}: {error.message}") from error
