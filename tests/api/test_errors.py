"""Every error answers {"error": {"code", "message", "fields"?}}; field errors name the field and what to fix."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import bearer, signed_in

pytestmark = pytest.mark.django_db


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] and error["message"]
    return error


def test_a_missing_field_is_named_with_what_to_fix(ops_manager):
    error = _error(signed_in(ops_manager).post("/api/v1/procedures/", {"name": "Refunds"}, format="json"), 400)
    assert error["code"] == "invalid"
    assert error["fields"] == {"source": ["This field is required."]}
    assert "source" in error["message"]


def test_nested_field_errors_use_dotted_names(admin_token):
    body = {"case": {"requester": {"email": "not-an-email"}, "attachments": [{"url": "nope"}], "priority": "meh"}}
    error = _error(bearer(admin_token).post("/api/v1/cases/", body, format="json"), 400)
    assert set(error["fields"]) == {"case.requester.email", "case.attachments.0.url", "case.priority"}
    assert all(isinstance(msg, str) for msgs in error["fields"].values() for msg in msgs)


def test_a_domain_refusal_keeps_its_stable_code_and_names_the_field(ops_manager):
    error = _error(
        signed_in(ops_manager).post("/api/v1/procedures/", {"name": "x", "source": "   \n  "}, format="json"), 400
    )
    assert error["code"] in ("source_empty", "invalid")
    assert "source" in error["fields"]


def test_publishing_a_draft_is_a_conflict_with_the_reason(world, ops_manager):
    error = _error(signed_in(ops_manager).post(f"/api/v1/versions/{world.v4.id}/publish/"), 409)
    assert error["code"] == "version_not_publishable"
    assert "Compile it first" in error["message"]


def test_malformed_json_is_a_400_not_a_500(admin_token):
    client = bearer(admin_token)
    for body in (b"{not json", b'{"a": NaN}', b"[" * 100_000, "ü".encode("latin-1")):
        error = _error(client.post("/api/v1/cases/", body, content_type="application/json"), 400)
        assert error["code"] == "malformed_request"


def test_a_body_over_the_limit_is_a_413(admin_token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"case": {"description": "' + "x" * 2000 + '"}}'
    error = _error(bearer(admin_token).post("/api/v1/cases/", body, content_type="application/json"), 413)
    assert error["code"] == "request_too_large" and "1,000 bytes" in error["message"]


def test_not_found_wrong_method_and_wrong_media_type(admin_token, world):
    client = bearer(admin_token)
    assert _error(client.get("/api/v1/cases/999999/"), 404)["code"] == "not_found"
    assert _error(client.get("/api/v1/cases/abc/"), 404)["code"] == "not_found"
    assert "slash" in _error(client.get("/api/v1/cases"), 404)["message"]
    assert _error(client.delete(f"/api/v1/cases/{world.case.id}/"), 405)["code"] == "method_not_allowed"
    error = _error(client.post("/api/v1/cases/", "subject=x", content_type="application/x-www-form-urlencoded"), 415)
    assert error["code"] == "unsupported_media_type"


def test_anonymous_callers_are_told_how_to_authenticate():
    response = APIClient().get("/api/v1/procedures/")
    error = _error(response, 401)
    assert error["code"] == "not_authenticated" and "Bearer" in error["message"]
    assert response["WWW-Authenticate"] == 'Bearer realm="sopdesk"'


def test_session_writes_need_the_csrf_token(ops_manager):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(ops_manager)
    error = _error(client.post("/api/v1/procedures/", {"name": "x", "source": "1. Close."}, format="json"), 403)
    assert "CSRF" in error["message"]


def test_throttled_tokens_get_429_with_retry_after(admin_token, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "2/min"}}
    client = bearer(admin_token)
    assert client.get("/api/v1/cases/").status_code == 200
    assert client.get("/api/v1/cases/").status_code == 200
    response = client.get("/api/v1/cases/")
    error = _error(response, 429)
    assert error["code"] == "throttled"
    assert int(response["Retry-After"]) >= 1


def test_a_bad_filter_value_names_the_parameter(admin_token):
    error = _error(bearer(admin_token).get("/api/v1/cases/?opened_after=yesterday&status=sleeping"), 400)
    assert set(error["fields"]) == {"opened_after", "status"}


def test_a_time_filter_no_database_can_represent_is_a_400_naming_it(admin_token):
    from urllib.parse import quote

    response = bearer(admin_token).get(f"/api/v1/events/?received_after={quote('0001-01-01T00:00:00+01:00')}")
    error = _error(response, 400)
    assert set(error["fields"]) == {"received_after"}


@pytest.mark.parametrize("value", ["5509-09-27T06:10:10+19:10", "2026-09-27T06:10:10-23:59", "9999-12-31T23:59:59Z"])
def test_a_time_filter_with_any_offset_is_converted_not_a_crash(admin_token, value):
    from urllib.parse import quote

    for url in (f"/api/v1/cases/?opened_after={quote(value)}", f"/api/v1/events/?received_before={quote(value)}"):
        assert bearer(admin_token).get(url).status_code == 200


def test_huge_ids_are_a_400_not_a_crash(admin_token):
    client = bearer(admin_token)
    error = _error(client.get(f"/api/v1/runs/?procedure={2**70}"), 400)
    assert "procedure" in error["fields"]
    error = _error(client.post("/api/v1/runs/", {"case": 2**70, "procedure": 2**70}, format="json"), 400)
    assert set(error["fields"]) == {"case", "procedure"}


def test_security_headers_on_api_answers(admin_token):
    response = bearer(admin_token).get("/api/v1/cases/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_docs_page_works_offline(ops_manager):
    client = signed_in(ops_manager)
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn." not in page
    asset = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert asset.status_code == 200


def test_the_docs_page_sends_people_to_sign_in():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_text_no_database_can_store_is_a_400(admin_token):
    client = bearer(admin_token)
    for body in (b'{"case": {"subject": "a\\u0000b"}}', b'{"case": {"fields": {"x": "\\ud800"}}}'):
        error = _error(client.post("/api/v1/cases/", body, content_type="application/json"), 400)
        assert error["code"] == "malformed_request"


def test_an_unexpected_error_is_a_plain_500_that_leaks_nothing(caplog):
    from sopdesk.api_errors import exception_handler

    response = exception_handler(RuntimeError("secret=hunter2 broke"), {"view": None})
    assert response.status_code == 500
    assert response.data == {
        "error": {
            "code": "server_error",
            "message": "Something went wrong on our side. It has been logged; try again later.",
        }
    }
    assert "hunter2" not in str(response.data)
    assert "unhandled error" in caplog.text  # logged, with its traceback, for us
