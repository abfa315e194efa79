"""Regression (issue 18): the OpenAPI document declares every status the read API answers.

A schemathesis run found 400 for a page past the window, 404 for an unknown researcher and its
graph, and 429 nowhere, none of them declared; and `/metrics` declared as JSON, though it answers
Prometheus text.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST

from foundation.settings import Settings
from scholarstream.api import create_api


def test_every_status_and_media_type_the_read_api_answers_is_declared(tmp_path):
    settings = Settings(_env_file=None, SCHOLARSTREAM_STACK_DIR=str(tmp_path), ELASTICSEARCH_URL="http://127.0.0.1:1")
    paths = create_api(settings).openapi()["paths"]
    for path in ("/researchers/search", "/papers/search"):
        assert {"200", "400", "422", "429", "503"} <= set(paths[path]["get"]["responses"]), path
    for path in ("/researchers/{researcher_id}", "/researchers/{researcher_id}/works", "/researchers/{researcher_id}/graph"):
        assert {"200", "307", "404", "422", "429", "503"} <= set(paths[path]["get"]["responses"]), path
    assert {"200", "503"} <= set(paths["/healthz"]["get"]["responses"])
    assert list(paths["/metrics"]["get"]["responses"]["200"]["content"]) == [CONTENT_TYPE_LATEST]
