"""Rate limits on the webhooks (plain Django views, wrapped where sopdesk/urls.py includes them)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sopdesk.ratelimit import hit, parse_rate

pytestmark = pytest.mark.django_db


def test_webhooks_answer_429_past_the_rate_per_client_address(client, settings):
    settings.WEBHOOK_RATE = "3/min"
    url = reverse("cases:hook-zendesk")
    answers = [client.post(url, b"{}", content_type="application/json").status_code for _ in range(3)]
    assert 429 not in answers
    response = client.post(url, b"{}", content_type="application/json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert int(response["Retry-After"]) >= 1
    # Another address, and another webhook, have their own budgets.
    assert client.post(url, b"{}", content_type="application/json", REMOTE_ADDR="10.0.0.9").status_code != 429
    assert client.post(reverse("cases:api-events"), b"{}", content_type="application/json").status_code != 429


def test_pages_that_are_not_webhooks_are_not_wrapped(settings):
    from sopdesk.urls import urlpatterns

    wrapped = {
        str(p.pattern)
        for resolver in urlpatterns
        for p in getattr(resolver, "url_patterns", [])
        if getattr(p.callback, "ratelimited", False)
    }
    assert wrapped and all(route.startswith(("hooks/", "api/events/")) for route in wrapped)


def test_fixed_window_counts_and_resets():
    assert [hit("k", limit=2, period=60, now=120.0) for _ in range(3)] == [0, 0, 60]
    assert hit("k", limit=2, period=60, now=180.0) == 0  # the next window


@pytest.mark.parametrize("rate,expected", [("120/m", (120, 60)), ("5/sec", (5, 1)), ("1000/day", (1000, 86400))])
def test_rates_parse(rate, expected):
    assert parse_rate(rate) == expected


def test_a_bad_rate_fails_loudly():
    with pytest.raises(ValueError, match="120/m"):
        parse_rate("lots")


def test_a_burst_of_hundreds_of_webhooks_from_one_address_gets_no_429_by_default(client, settings):
    settings.WEBHOOK_RATE = ""
    url = reverse("cases:hook-zendesk")
    answers = {client.post(url, b"{}", content_type="application/json").status_code for _ in range(310)}
    assert 429 not in answers


def test_each_source_has_its_own_default_and_the_setting_overrides_them(settings):
    from sopdesk.ratelimit import rate_for

    settings.WEBHOOK_RATE = ""
    assert parse_rate(rate_for("/hooks/zendesk/"))[0] >= 1000
    assert rate_for("/api/events/") == "1200/min"
    settings.WEBHOOK_RATE = "30/min"
    assert rate_for("/hooks/zendesk/") == rate_for("/api/events/") == "30/min"


def test_310_signed_webhooks_from_one_address_are_all_accepted_and_stored(client, settings):
    from cases.models import InboundEvent
    from tests.cases.test_webhooks import SECRET, post_zendesk, ticket_body

    settings.WEBHOOK_RATE = ""
    settings.WEBHOOK_SECRETS = {"zendesk": SECRET}
    answers = [
        post_zendesk(client, ticket_body(ticket_id=n), invocation=f"burst-{n}", process=False).status_code
        for n in range(310)
    ]
    assert answers.count(202) == 310  # none refused with 429 (one address: the test client's)
    assert InboundEvent.objects.filter(status="received", claim__startswith="burst-").count() == 310
