"""API tokens: created in the admin and shown once, hashed at rest, scoped, revocable, last use recorded."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from sopdesk.models import ApiToken
from sopdesk.tokens import token_issue, token_revoke, token_touch
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db


def _admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_admin_shows_a_new_token_once_and_stores_only_its_hash(client, admin_user):
    _admin_client(client, admin_user)
    response = client.post(
        "/admin/sopdesk/apitoken/add/",
        {"name": "Zendesk macro", "scopes": ["cases:write", "cases:read"], "expires_at_0": "", "expires_at_1": ""},
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(m) for m in get_messages(response.wsgi_request)] or [m.message for m in response.context["messages"]]
    raw = next(word for text in shown for word in text.split() if word.startswith("sd_"))
    token = ApiToken.objects.get()
    assert token.created_by == admin_user and token.scopes == ["cases:read", "cases:write"]
    secret = raw.split("_", 2)[2]
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert raw.startswith(f"sd_{token.prefix}_") and len(secret) >= 43  # 32 random bytes
    # Never again: not on the change page, not in the list.
    for url in (f"/admin/sopdesk/apitoken/{token.pk}/change/", "/admin/sopdesk/apitoken/"):
        page = client.get(url).content.decode()
        assert secret not in page and token.key_hash not in page
        assert f"sd_{token.prefix}_" in page
    # And it works.
    assert bearer(raw).get("/api/v1/cases/").status_code == 200


def test_admin_revoke_action_stops_the_token_at_once(client, admin_user):
    token, raw = token_issue(name="export", scopes=["cases:read"], created_by=admin_user)
    assert bearer(raw).get("/api/v1/cases/").status_code == 200
    _admin_client(client, admin_user)
    client.post("/admin/sopdesk/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None
    response = bearer(raw).get("/api/v1/cases/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_unknown_and_malformed_tokens_are_refused_alike(admin_user):
    token, raw = token_issue(
        name="old", scopes=["cases:read"], created_by=admin_user, expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    wrong_secret = f"sd_{token.prefix}_{'x' * 43}"
    for presented in (raw, wrong_secret, "sd_00000000_nope", "not-a-token", "sd__"):
        response = bearer(presented).get("/api/v1/cases/")
        assert response.status_code == 401, presented
        assert response.json()["error"]["message"] == "The token is unknown, revoked or expired."


def test_last_used_is_recorded_at_most_once_a_minute(admin_user):
    token, raw = token_issue(name="n", scopes=["cases:read"], created_by=admin_user)
    assert token.last_used_at is None
    client = bearer(raw)
    client.get("/api/v1/cases/")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/cases/")
    token.refresh_from_db()
    assert token.last_used_at == first  # within the minute: no write
    token_touch(token=token, now=first + dt.timedelta(seconds=61))
    token.refresh_from_db()
    assert token.last_used_at == first + dt.timedelta(seconds=61)


def test_scopes_limit_a_token_even_when_its_creator_may_do_more(admin_user):
    _, read_only = token_issue(name="ro", scopes=["cases:read"], created_by=admin_user)
    client = bearer(read_only)
    assert client.get("/api/v1/cases/").status_code == 200
    response = client.post("/api/v1/cases/", {"case": {"subject": "x"}}, format="json")
    assert response.status_code == 403
    assert "cases:write" in response.json()["error"]["message"]
    assert client.get("/api/v1/procedures/").status_code == 403


def test_a_token_never_exceeds_its_creators_role(reviewer):
    _, raw = token_issue(name="too much", scopes=["procedures:write", "procedures:read"], created_by=reviewer)
    client = bearer(raw)
    assert client.get("/api/v1/procedures/").status_code == 200
    response = client.post("/api/v1/procedures/", {"name": "x", "source": "1. Close the ticket."}, format="json")
    assert response.status_code == 403


def test_a_deactivated_creator_disables_their_tokens(ops_manager):
    _, raw = token_issue(name="t", scopes=["cases:read"], created_by=ops_manager)
    ops_manager.is_active = False
    ops_manager.save()
    assert bearer(raw).get("/api/v1/cases/").status_code == 401


def test_revoking_twice_is_harmless(admin_user):
    token, _ = token_issue(name="t", scopes=["cases:read"], created_by=admin_user)
    assert token_revoke(token=token) is True
    assert token_revoke(token=token) is False


def test_unknown_scopes_are_refused(admin_user):
    with pytest.raises(ValueError, match="unknown scopes"):
        token_issue(name="t", scopes=["everything"], created_by=admin_user)


def test_tokens_are_not_logged(admin_user, caplog):
    _, raw = token_issue(name="t", scopes=["cases:read"], created_by=admin_user)
    bearer(raw).get("/api/v1/cases/")
    bearer(raw + "x").get("/api/v1/nothing/")
    assert raw.split("_", 2)[2] not in caplog.text
