"""Publishing a version with open questions needs a confirmation naming them: service, editor, admin and API.

Open questions: sentences the compiler did not understand (from the version's coverage),
compile warnings, and approval roles that no group has yet (created on publish).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from rest_framework.test import APIClient

from procedures import services
from procedures.errors import PublishNeedsConfirmation
from procedures.models import Procedure, ProcedureVersion
from procedures.roles import role_sync

pytestmark = pytest.mark.django_db

SOURCE = (
    "1. Reply to the customer that we are on it.\n"
    "2. Consider the vibe of the conversation carefully.\n"
    "Refunds keep customers happy.\n"
)
VIBE = "Consider the vibe of the conversation carefully."
APPROVAL_SOURCE = "1. Get the OK from Refund approvers.\n2. Close the ticket.\n"
APPROVAL_GRAPH = {
    "schema_version": 1,
    "start": "approve",
    "steps": [
        {"key": "approve", "kind": "approve", "title": "OK from Refund approvers", "role": "Refund approvers",
         "on_approved": "done", "on_rejected": "done", "span": {"start": 3, "end": 34}},
        {"key": "done", "kind": "end", "title": "Close", "outcome": "closed", "span": {"start": 38, "end": 54}},
    ],
}  # fmt: skip


@pytest.fixture(autouse=True)
def roles(db):
    role_sync(group_model=Group, permission_model=Permission)


def _span(text: str, sentence: str) -> dict:
    start = text.index(sentence)
    return {"start": start, "end": start + len(sentence)}


@pytest.fixture
def version(ops_manager):
    """A compiled version whose warnings and coverage are set explicitly (one sentence not understood)."""
    procedure = services.procedure_create_and_compile(name="Vibes", source=SOURCE, owner=ops_manager, compiler="rules")
    version = procedure.versions.get()
    text = version.source
    judge = version.steps.order_by("-position").first().key
    version.warnings = [
        {"code": "not_understood", "message": "Not understood: a person decides here.", "span": _span(text, VIBE),
         "excerpt": VIBE, "step_key": judge},
    ]  # fmt: skip
    version.coverage = [
        {"span": _span(text, "Reply to the customer that we are on it."), "text": "Reply to the customer that we "
         "are on it.", "status": "automated", "step_keys": ["reply"]},
        {"span": _span(text, VIBE), "text": VIBE, "status": "not_understood", "step_keys": [judge]},
        {"span": _span(text, "Refunds keep customers happy."), "text": "Refunds keep customers happy.",
         "status": "non_procedural", "kind": "purpose"},
    ]  # fmt: skip
    version.save()
    return version


@pytest.fixture
def ops(client, ops_manager):
    ops_manager.is_staff = True
    ops_manager.save()
    client.force_login(ops_manager)
    return client


# --- the service ----------------------------------------------------------------------------


def test_publishing_with_open_questions_is_refused_naming_them_and_changes_nothing(version):
    with pytest.raises(PublishNeedsConfirmation) as caught:
        services.version_publish(version=version)
    assert f"Not understood: “{VIBE}”" in caught.value.message
    assert caught.value.issues[0]["not_understood"][0]["text"] == VIBE
    version.refresh_from_db()
    assert version.status == ProcedureVersion.Status.COMPILED and version.procedure.published_version is None


def test_a_warning_on_a_sentence_not_understood_is_named_once(version):
    with pytest.raises(PublishNeedsConfirmation) as caught:
        services.version_publish(version=version)
    assert caught.value.message.count("vibe of the conversation") == 1
    assert caught.value.message.startswith("v1 has 1 open question:")


def test_confirmed_publishing_goes_ahead(version):
    services.version_publish(version=version, confirm_warnings=True)
    version.refresh_from_db()
    assert version.status == ProcedureVersion.Status.PUBLISHED


def test_compile_warnings_alone_need_the_confirmation_too(version):
    version.coverage = []
    version.warnings = [{"code": "warning", "message": "Which plan field is meant?"}]
    version.save()
    with pytest.raises(PublishNeedsConfirmation) as caught:
        services.version_publish(version=version)
    assert caught.value.message.startswith("v1 has 1 open question: Warning: Which plan field is meant?")


def _approval_version():
    from tests.factories import ProcedureVersionFactory

    return ProcedureVersionFactory(
        procedure__name="Refunds", source=APPROVAL_SOURCE, graph=APPROVAL_GRAPH, status=ProcedureVersion.Status.COMPILED
    )


def test_approval_roles_that_do_not_exist_are_named_and_created_on_publish():
    version = _approval_version()
    role = "Refund approvers"
    assert not Group.objects.filter(name=role).exists()
    with pytest.raises(PublishNeedsConfirmation) as caught:
        services.version_publish(version=version)
    assert f"Role “{role}” does not exist yet" in caught.value.message
    assert not Group.objects.filter(name=role).exists()
    services.version_publish(version=version, confirm_warnings=True)
    assert Group.objects.filter(name=role).exists()


def test_a_clean_version_publishes_without_a_confirmation(ops_manager):
    procedure = services.procedure_create_and_compile(
        name="Clean", source='1. Reply to the customer: "We are on it."', compiler="rules"
    )
    version = services.version_publish(version=procedure.versions.get())
    assert version.status == ProcedureVersion.Status.PUBLISHED


def test_rolling_back_to_a_version_published_before_needs_no_new_confirmation(version):
    services.version_publish(version=version, confirm_warnings=True)
    v2 = services.version_create_and_compile(procedure=version.procedure, source='1. Reply to the customer: "On it."')
    services.version_publish(version=v2)
    v3 = services.version_rollback(procedure=version.procedure, to_version=version)
    assert v3.status == ProcedureVersion.Status.PUBLISHED and v3.coverage == version.coverage


# --- the editor -----------------------------------------------------------------------------


def test_the_editor_asks_to_confirm_naming_each_question_then_publishes(ops, version):
    response = ops.post(reverse("procedures:publish", args=[version.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and "Publish Vibes v1?" in html
    assert VIBE in html[html.index('id="confirm-not-understood"') :]
    version.refresh_from_db()
    assert version.status == ProcedureVersion.Status.COMPILED

    response = ops.post(reverse("procedures:publish", args=[version.pk]), {"confirm_warnings": "yes"}, follow=True)
    version.refresh_from_db()
    assert version.status == ProcedureVersion.Status.PUBLISHED
    assert "Published v1" in response.content.decode()


def test_the_editor_says_which_groups_publishing_created(ops):
    version = _approval_version()
    role = "Refund approvers"
    html = ops.post(reverse("procedures:publish", args=[version.pk])).content.decode()
    assert role in html[html.index('id="confirm-roles"') :]
    response = ops.post(reverse("procedures:publish", args=[version.pk]), {"confirm_warnings": "yes"}, follow=True)
    assert f"Created the group “{role}”" in response.content.decode()


def test_the_editor_shows_the_coverage_bar_and_marks_the_sentences(ops, version):
    html = ops.get(reverse("procedures:editor", args=[version.pk])).content.decode()
    bar = html[html.index('class="sop-coverage"') : html.index('class="sop-panes"')]
    assert "3 sentences: 1 automated, 0 needs a person, 1 not understood, 1 non-procedural" in bar
    assert VIBE in bar[bar.index("Not understood (1)") :]
    source = html[html.index('id="sop-source"') : html.index("</pre>")]
    assert '<span class="sop-cov sop-cov-not-understood" id="cov-1"' in source
    grey = source[source.index('class="sop-cov sop-cov-non-procedural"') :]
    assert grey.split("</span>")[0].endswith("Refunds keep customers happy.")


def test_without_coverage_the_editor_says_it_is_not_available(ops, version):
    version.coverage = []
    version.save()
    html = ops.get(reverse("procedures:editor", args=[version.pk])).content.decode()
    assert "not available for this version" in html and "sop-coverage-bar" not in html


def test_every_step_card_shows_its_read_back(ops, version):
    from django.utils.html import escape

    from procedures.selectors import version_readbacks

    html = ops.get(reverse("procedures:editor", args=[version.pk])).content.decode()
    readbacks = version_readbacks(version=version)
    assert html.count('class="sop-readback"') == version.steps.count() == len(readbacks)
    for key, sentence in readbacks.items():
        card = html[html.index(f'id="step-{key}"') :]
        assert escape(sentence) in card[: card.index("</article>")]


def test_the_admin_refuses_renaming_a_procedure_to_another_ones_name(ops, version):
    other = services.procedure_create(name="Refunds", source="1. Reply.")
    url = reverse("admin:procedures_procedure_change", args=[other.pk])
    data = {"name": "VIBES", "slug": other.slug, "status": "draft", "trigger": "{}",
            "judgement_confidence_threshold": "0.8", "versions-TOTAL_FORMS": "1", "versions-INITIAL_FORMS": "1",
            "versions-MIN_NUM_FORMS": "0", "versions-MAX_NUM_FORMS": "1000", "versions-0-id": str(other.versions.get().pk),
            "versions-0-procedure": str(other.pk)}  # fmt: skip
    response = ops.post(url, data)
    assert response.status_code == 200
    assert "A procedure named &#x27;Vibes&#x27; already exists" in response.content.decode()
    other.refresh_from_db()
    assert other.name == "Refunds"


# --- the admin ------------------------------------------------------------------------------


def _admin_publish(client, version, **extra):
    data = {"action": "publish_version", "_selected_action": [str(version.pk)], **extra}
    return client.post(reverse("admin:procedures_procedureversion_changelist"), data, follow=True)


def test_the_admin_publish_action_asks_to_confirm_naming_the_questions(ops, version):
    html = _admin_publish(ops, version).content.decode()
    assert "open question" in html and VIBE in html and 'name="confirm_warnings"' in html
    version.refresh_from_db()
    assert version.status == ProcedureVersion.Status.COMPILED

    html = _admin_publish(ops, version, confirm_warnings="yes").content.decode()
    version.refresh_from_db()
    assert version.status == ProcedureVersion.Status.PUBLISHED and "Published Vibes v1" in html


# --- the API --------------------------------------------------------------------------------


@pytest.fixture
def api(ops_manager):
    client = APIClient()
    client.force_authenticate(ops_manager)
    return client


def test_the_api_refuses_with_400_and_the_list_unless_confirmed(api, version):
    response = api.post(f"/api/v1/versions/{version.pk}/publish/", {}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "confirmation_required" and "confirm_warnings" in error["message"]
    assert error["issues"][0]["not_understood"][0]["text"] == VIBE
    version.refresh_from_db()
    assert version.status == ProcedureVersion.Status.COMPILED

    response = api.post(f"/api/v1/versions/{version.pk}/publish/", {"confirm_warnings": True}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "published"


def test_the_api_shows_coverage_summary_and_read_backs(api, version):
    data = api.get(f"/api/v1/versions/{version.pk}/").json()
    assert data["coverage_summary"] == {"automated": 1, "person": 0, "not_understood": 1, "non_procedural": 1}
    assert [e["status"] for e in data["coverage"]] == ["automated", "not_understood", "non_procedural"]
    assert set(data["readbacks"]) == set(version.steps.values_list("key", flat=True))
    steps = api.get(f"/api/v1/steps/?version={version.pk}").json()["results"]
    assert all(s["readback"] for s in steps)
    assert data["readbacks"][steps[0]["key"]] == steps[0]["readback"]


def test_the_api_refuses_a_second_procedure_with_the_same_name(api, version):
    response = api.post("/api/v1/procedures/", {"name": "vibes", "source": "1. Reply."}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "name_taken"
    assert "'Vibes' already exists" in response.json()["error"]["message"]
    assert Procedure.objects.count() == 1


def test_the_add_sop_form_refuses_a_second_procedure_with_the_same_name(ops, version):
    response = ops.post(reverse("procedures:create"), {"name": "Vibes", "source": "1. Reply to the customer."})
    assert response.status_code == 400
    html = response.content.decode()
    assert "A procedure named &#x27;Vibes&#x27; already exists" in html
    assert Procedure.objects.count() == 1
