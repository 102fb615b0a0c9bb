"""The SLA pages in plain language: clocks named in words, cases linked to their case page."""

from __future__ import annotations

import time_machine
from django.urls import reverse

from tests.cases.sla.conftest import at, case_event, open_case


def test_attainment_names_clocks_in_words_and_breaching_rows_link_to_the_case(client, sla_sop, agent, reviewer):
    case = open_case(at(18, 10))
    case_event(case, at(18, 10, 5), "assigned", assignee=agent)
    case_event(case, at(18, 11), "first_public_reply", first_response_at=at(18, 11))
    other = open_case(at(18, 10))
    case_event(other, at(18, 10, 5), "assigned", assignee=agent)
    client.force_login(reviewer)
    with time_machine.travel(at(18, 11, 30), tick=False):
        attainment = client.get(reverse("sla:attainment")).content.decode()
        soon = client.get(reverse("sla:breaching-soon")).content.decode()
    assert "<td>First response</td>" in attainment and "<td>first_response</td>" not in attainment
    assert f'<a href="/cases/{other.id}/">#{other.id}</a>' in soon
