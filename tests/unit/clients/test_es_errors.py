"""`es_io.search_errors`: Elasticsearch's failures become the project's, with the cause kept."""

from __future__ import annotations

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError, NotFoundError
from elasticsearch import ConnectionError as ESConnectionError

from clients.es_io import search_errors
from foundation.errors import SearchError, ServiceUnavailable
from foundation.settings import Settings

SETTINGS = Settings(_env_file=None)


def _meta(status: int) -> ApiResponseMeta:
    return ApiResponseMeta(status, "1.1", HttpHeaders(), 0.01, NodeConfig("http", "localhost", 9200))


def _raise(error: BaseException) -> None:
    raise error


def test_no_connection_is_service_unavailable():
    cause = ESConnectionError("refused")
    with pytest.raises(ServiceUnavailable) as raised, search_errors(SETTINGS):
        _raise(cause)
    assert raised.value.__cause__ is cause


def test_a_refusal_names_the_action_and_elasticsearchs_message():
    cause = ApiError("search_phase_execution_exception", _meta(400), {})
    with pytest.raises(SearchError, match="Elasticsearch refused the lookup: search_phase_execution_exception") as raised:
        with search_errors(SETTINGS, "lookup"):
            _raise(cause)
    assert raised.value.__cause__ is cause


def test_a_missing_index_says_what_to_do_when_told_else_is_a_refusal():
    cause = NotFoundError("index_not_found_exception", _meta(404), {})
    with pytest.raises(SearchError, match="^run setup$") as raised, search_errors(SETTINGS, missing="run setup"):
        _raise(cause)
    assert raised.value.__cause__ is cause
    with pytest.raises(SearchError, match="refused the search: index_not_found_exception"), search_errors(SETTINGS):
        _raise(cause)


def test_a_not_found_caught_inside_the_block_and_other_errors_pass_untouched():
    with search_errors(SETTINGS, missing="never said"):
        try:
            _raise(NotFoundError("not_found", _meta(404), {}))
        except NotFoundError:
            pass
    with pytest.raises(KeyError), search_errors(SETTINGS):
        _raise(KeyError("_source"))
