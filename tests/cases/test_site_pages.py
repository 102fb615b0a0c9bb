"""Every non-admin page wears sopdesk's design (one site base template), never the Django admin's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

BRAND = '<a class="brand" href="/inbox/"><span class="brand-mark">◆</span> sopdesk</a>'


def _pages(case_id: int) -> list[str]:
    return [
        reverse("reviews:inbox"),
        reverse("sla:breaching-soon"),
        reverse("sla:attainment"),
        reverse("cases:detail", args=[case_id]),
        reverse("cases:timeline", args=[case_id]),
    ]


def test_inbox_sla_and_case_pages_share_the_site_frame(client, reviewer):
    case = CaseFactory(subject="Login loop")
    client.force_login(reviewer)
    for url in _pages(case.id):
        page = client.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        assert BRAND in html, url
        assert "Django administration" not in html and "admin/css/base.css" not in html, url
        assert html.count('<header class="topbar">') == 1, url
        assert "<title>" in html and "· sopdesk</title>" in html, url
