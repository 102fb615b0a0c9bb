"""http.request to named endpoints: the sandbox hooks, and a real configured endpoint."""

from __future__ import annotations

import pytest

from connectors.base import NotConfigured, PermanentError, RetryableError
from connectors.registry import get


def op(name):
    return get(name).load_handler()


def test_post_to_a_named_endpoint_records_body_and_idempotency_key(sandbox):
    result = op("http.request")(
        {"endpoint": "status_page", "path": "/incidents", "body": {"status": "investigating"}}, idempotency_key="k"
    )
    assert result["status"] == 200 and result["body"]["ok"] is True
    [received] = sandbox.inspect("http")["received"]
    assert received["endpoint"] == "status_page" and received["path"] == "/incidents"
    assert received["body"] == {"status": "investigating"}
    assert received["idempotency_key"].startswith("sd-")


def test_endpoints_are_names_from_settings_outside_the_sandbox(sandbox, settings):
    settings.SANDBOX_URL = ""
    settings.CONNECTORS = {
        **settings.CONNECTORS,
        "http": {"endpoints": {"paging": sandbox.urls["http"] + "/hooks/pager"}},
    }
    assert op("http.request")({"endpoint": "paging", "method": "GET"})["status"] == 200
    with pytest.raises(NotConfigured):
        op("http.request")({"endpoint": "unknown"})


def test_path_cannot_leave_the_endpoint(sandbox):
    with pytest.raises(PermanentError):
        op("http.request")({"endpoint": "status_page", "path": "/../admin"})


def test_5xx_every_time_is_retryable_after_the_attempts_run_out(sandbox):
    sandbox.faults("http", error_rate=1.0, error_status=502)
    with pytest.raises(RetryableError) as caught:
        op("http.request")({"endpoint": "status_page"}, idempotency_key="k")
    assert caught.value.status == 502
    assert sandbox.requests("http") == 6
