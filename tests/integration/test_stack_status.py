"""`scholarstream stack status --json` describes the running local stack."""

from __future__ import annotations

import json

from tests.integration.conftest import cli


def test_status_reports_both_services(settings):
    result = cli("stack", "status", "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    if not (settings.kafka_is_default and settings.elasticsearch_is_default):
        return  # the tests run against external services; there is no local stack to describe
    services = status["services"] if "services" in status else status
    assert services["kafka"]["state"] == "running", status
    assert services["elasticsearch"]["state"] == "running", status
    assert services["kafka"]["version"] == "4.4.0"
    assert services["elasticsearch"]["version"] == "9.2.0"
