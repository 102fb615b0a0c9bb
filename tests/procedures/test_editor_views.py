"""The SOP editor pages, through the Django test client, as an ops manager, a reviewer and an outsider."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.urls import reverse

from procedures import services
from procedures.models import Procedure, ProcedureVersion

pytestmark = pytest.mark.django_db

ESCALATION = (Path(__file__).parent / "fixtures" / "escalation.txt").read_text()
Status = ProcedureVersion.Status


@pytest.fixture
def version(ops_manager):
    procedure = services.procedure_create_and_compile(
        name="Product bug escalation", source=ESCALATION, owner=ops_manager, compiler="rules"
    )
    return procedure.versions.get()


@pytest.fixture
def ops(client, ops_manager):
    ops_manager.is_staff = True
    ops_manager.save()
    client.force_login(ops_manager)
    return client


def _editor(version):
    return reverse("procedures:editor", args=[version.pk])


def _marks(html: str) -> set[str]:
    return set(re.findall(r'<mark class="[^"]*" data-step="([a-z0-9_]+)">', html))


# --- who may do what ----------------------------------------------------------------------


def test_anonymous_is_sent_to_the_login_page(client, version):
    response = client.get(_editor(version))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_outsider_may_not_see_or_change_procedures(client, outsider, version):
    client.force_login(outsider)
    assert client.get(_editor(version)).status_code == 403
    assert client.get(reverse("procedures:create")).status_code == 403
    assert client.post(reverse("procedures:publish", args=[version.pk])).status_code == 403
    assert Procedure.objects.get().published_version is None


def test_a_reviewer_sees_the_editor_read_only(client, reviewer, version):
    client.force_login(reviewer)
    page = client.get(_editor(version))
    assert page.status_code == 200
    html = page.content.decode()
    assert _marks(html) and "Compiled steps" in html
    assert "Correct this step" not in html and "Publish v1" not in html and "Edit the source" not in html
    for name in ("publish", "compile", "rollback", "source_save"):
        assert client.post(reverse(f"procedures:{name}", args=[version.pk]), {"source": "1. Reply."}).status_code == 403
    key = version.steps.first().key
    url = reverse("procedures:step_correct", args=[version.pk, key])
    assert client.post(url, {"title": "x", "fields_json": "{}"}).status_code == 403
    assert ProcedureVersion.objects.count() == 1 and not version.steps.filter(hand_edited=True).exists()


def test_a_superuser_may_edit(client, version):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert "Publish v1" in client.get(_editor(version)).content.decode()


# --- what the editor shows ----------------------------------------------------------------


def test_the_editor_marks_each_steps_sentence_and_shows_a_card_per_step(ops, version):
    html = ops.get(_editor(version)).content.decode()
    spanned = {s.key for s in version.steps.all() if s.span_start is not None and s.span_end > s.span_start}
    assert spanned and _marks(html) == spanned
    for step in version.steps.all():
        assert f'id="step-{step.key}"' in html and f'data-step="{step.key}"' in html
    assert "Product bug escalation" in html and "v1" in html and "Compiled" in html and "rules" in html
    assert "Try on a sample case" in html and f"/cases/try/{version.pk}/" in html
    assert "zendesk.reply" in html and "jira.create_issue" in html  # operations on act cards
    assert "procedures/editor.js" in html and "procedures/editor.css" in html


def test_the_source_is_escaped(ops, ops_manager):
    procedure = services.procedure_create_and_compile(
        name="Escaping", source="1. Reply to the customer with <b>thanks</b> & <script>x()</script>.", compiler="rules"
    )
    html = ops.get(_editor(procedure.versions.get())).content.decode()
    assert "&lt;script&gt;x()&lt;/script&gt;" in html and "<script>x()" not in html


def test_warnings_are_shown_on_their_step_their_sentence_and_at_the_top(ops, version):
    step = version.steps.order_by("position").first()
    version.warnings = [
        {"code": "warning", "message": "Which plan field is meant?", "step_key": step.key},
        {"code": "warning", "message": "This sentence has no step.", "span": {"start": 0, "end": 22}},
        {"code": "warning", "message": "Nothing says who owns this SOP."},
    ]
    version.save()
    html = ops.get(_editor(version)).content.decode()

    card = html[html.index(f'id="step-{step.key}"') :]
    card = card[: card.index("</article>")]
    assert "Which plan field is meant?" in card
    source = html[html.index('id="sop-source"') :]
    source = source[: source.index("</pre>")]
    assert "This sentence has no step." in source and 'class="sop-note sop-note-warning"' in source
    top = html[html.index('class="sop-warnings"') : html.index('class="sop-panes"')]
    assert "Nothing says who owns this SOP." in top
    assert 'class="sop-mark has-warning"' in html


def test_a_failed_version_shows_its_errors(ops, version):
    failed = ProcedureVersion.objects.create(
        procedure=version.procedure,
        number=2,
        source="Hello team",
        source_hash="x",
        status=Status.FAILED,
        errors=[{"code": "no_steps", "message": "No steps found in the text.", "span": {"start": 0, "end": 5}}],
    )
    html = ops.get(_editor(failed)).content.decode()
    assert "did not compile" in html and "No steps found in the text." in html
    assert "sop-note-error" in html and "Publish v2" not in html


# --- the forms ----------------------------------------------------------------------------


def test_saving_new_source_makes_a_compiled_version_and_opens_it(ops, version):
    response = ops.post(
        reverse("procedures:source_save", args=[version.pk]), {"source": ESCALATION.replace("by 10", "by 15")}
    )
    v2 = ProcedureVersion.objects.get(number=2)
    assert response.status_code == 302 and response["Location"] == _editor(v2)
    assert v2.status == Status.COMPILED and v2.steps.exists() and v2.based_on == version


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("   ", "The SOP is empty"),
        ("1. Reply.\n" * 120_000, "the limit is"),
        ("\x00\x01\x02 binary" * 20, "binary data"),
        ("Please be nice to the customers and always do your best for them.", "did not compile"),
        ("1. 顧客のアカウントをSalesforceで探す。\n2. 無料プランなら返信して終了する。", "English"),
    ],
)
def test_bad_source_shows_a_clear_error_and_stores_nothing(ops, version, source, message):
    response = ops.post(reverse("procedures:source_save", args=[version.pk]), {"source": source})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ProcedureVersion.objects.count() == 1


def test_add_sop_creates_compiles_and_opens_the_editor(ops, ops_manager):
    response = ops.post(
        reverse("procedures:create"),
        {"name": "Product bug escalation", "slug": "", "trigger": '{"source": "zendesk"}', "source": ESCALATION},
    )
    procedure = Procedure.objects.get()
    version = procedure.versions.get()
    assert response.status_code == 302 and response["Location"] == _editor(version)
    assert version.status == Status.COMPILED and procedure.owner == ops_manager
    assert procedure.trigger == {"source": "zendesk"}
    page = ops.get(response["Location"])
    assert "compiled into" in page.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "X", "source": ""}, "The SOP is empty"),
        ({"name": "", "source": ESCALATION}, "This field is required"),
        (
            {"name": "X", "source": "Please be nice to the customers and always do your best for them."},
            "did not compile",
        ),
        ({"name": "X", "source": ESCALATION, "trigger": "[1, 2]"}, "JSON object"),
    ],
)
def test_add_sop_with_bad_input_stores_nothing(ops, data, message):
    response = ops.post(reverse("procedures:create"), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Procedure.objects.exists() and not ProcedureVersion.objects.exists()


def test_the_admin_add_procedure_button_opens_the_add_sop_form(ops):
    response = ops.get(reverse("admin:procedures_procedure_add"))
    assert response.status_code == 302 and response["Location"] == reverse("procedures:create")


def test_publish_then_roll_back_through_the_buttons(ops, version):
    assert ops.post(reverse("procedures:publish", args=[version.pk])).status_code == 302
    ops.post(reverse("procedures:source_save", args=[version.pk]), {"source": ESCALATION.replace("by 10", "by 15")})
    v2 = ProcedureVersion.objects.get(number=2)
    ops.post(reverse("procedures:publish", args=[v2.pk]))
    html = ops.get(_editor(version)).content.decode()
    assert "Roll back to this version" in html

    response = ops.post(reverse("procedures:rollback", args=[version.pk]))
    v3 = ProcedureVersion.objects.get(number=3)
    assert response["Location"] == _editor(v3)
    assert v3.status == Status.PUBLISHED and v3.source == version.source
    assert "is now published" in ops.get(response["Location"]).content.decode()


def test_publishing_a_draft_shows_why_not(ops, version):
    draft = services.version_create(procedure=version.procedure, source=ESCALATION + "\n8. Thank the customer.")
    response = ops.post(reverse("procedures:publish", args=[draft.pk]), follow=True)
    assert "only a compiled version can be published" in response.content.decode()


def test_compile_button_recompiles(ops, version):
    draft = services.version_create(procedure=version.procedure, source=ESCALATION + "\n8. Thank the customer.")
    ops.post(reverse("procedures:compile", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == Status.COMPILED


def _correct(client, version, step, **overrides):
    fields = dict(step.spec)
    fields["instruction"] = step.instruction
    data = {"title": step.title, "fields_json": json.dumps(fields)}
    data.update(overrides)
    return client.post(reverse("procedures:step_correct", args=[version.pk, step.key]), data)


def test_the_correct_form_saves_a_hand_edit(ops, version, ops_manager):
    step = version.steps.filter(kind="act").first()
    response = _correct(ops, version, step, title="Reply politely")
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.hand_edited and step.title == "Reply politely"
    assert step.history.latest().history_user == ops_manager
    assert "hand-edited" in ops.get(_editor(version)).content.decode()


@pytest.mark.parametrize(
    ("fields_json", "message"),
    [("{not json", "not valid JSON"), ('{"next": "no_such_step"}', "would make the procedure invalid")],
)
def test_the_correct_form_shows_validation_errors(ops, version, fields_json, message):
    step = version.steps.filter(kind="act").first()
    response = _correct(ops, version, step, fields_json=fields_json)
    assert response.status_code == 400 and message in response.content.decode()
    step.refresh_from_db()
    assert not step.hand_edited


def test_the_diff_page_shows_source_and_step_changes(ops, version):
    ops.post(reverse("procedures:source_save", args=[version.pk]), {"source": ESCALATION.replace("by 10", "by 15")})
    v2 = ProcedureVersion.objects.get(number=2)
    editor = ops.get(_editor(v2)).content.decode()
    diff_url = reverse("procedures:diff", args=[version.pk, v2.pk])
    assert diff_url in editor
    html = ops.get(diff_url).content.decode()
    assert "by 10" in html and "by 15" in html and "diff-add" in html and "Changed" in html


def test_admin_pages_link_to_the_editor(ops, version):
    for url in (
        reverse("admin:procedures_procedure_changelist"),
        reverse("admin:procedures_procedureversion_changelist"),
        reverse("admin:procedures_procedureversion_change", args=[version.pk]),
        reverse("admin:procedures_procedure_change", args=[version.procedure_id]),
    ):
        html = ops.get(url).content.decode()
        assert "Open editor" in html, url
    assert "Add SOP from text" in ops.get(reverse("admin:procedures_procedure_changelist")).content.decode()
    procedure_editor = reverse("procedures:procedure_editor", args=[version.procedure_id])
    assert ops.get(procedure_editor)["Location"] == _editor(version)


def test_overlapping_spans_nest_their_marks(ops):
    from tests.factories import ProcedureVersionFactory

    source = "1. If the plan is Free, reply and stop."
    sentence = {"start": 3, "end": len(source)}
    graph = {
        "schema_version": 1,
        "start": "check",
        "steps": [
            {
                "key": "check",
                "kind": "decide",
                "title": "Free?",
                "span": sentence,
                "branches": [{"when": "true", "next": "stop"}],
                "otherwise": "stop",
            },
            {"key": "stop", "kind": "end", "title": "Stop", "span": {"start": 34, "end": 38}},
        ],
    }
    version = ProcedureVersionFactory(source=source, graph=graph, status=Status.COMPILED)
    html = ops.get(_editor(version)).content.decode()
    assert _marks(html) == {"check", "stop"}
    assert '<mark class="sop-mark" data-step="check"><mark class="sop-mark" data-step="stop">' in html
