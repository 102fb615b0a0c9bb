"""Versioning services: create, compile, publish, roll back, diff, and hand corrections."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission

from procedures import selectors, services
from procedures.errors import (
    ProcedureError,
    ProcedureNameTaken,
    RollbackInvalid,
    SourceDidNotCompile,
    SourceEmpty,
    SourceNotText,
    SourceTooLarge,
    StepEditRejected,
    VersionLocked,
    VersionNotPublishable,
)
from procedures.models import Procedure, ProcedureVersion, Step
from procedures.roles import role_sync
from tests.factories import ProcedureFactory, ProcedureVersionFactory, RunFactory

pytestmark = pytest.mark.django_db

ESCALATION = (Path(__file__).parent / "fixtures" / "escalation.txt").read_text()
Status = ProcedureVersion.Status


def _nothing_stored():
    return Procedure.objects.count() == 0 and ProcedureVersion.objects.count() == 0 and Step.objects.count() == 0


@pytest.fixture(autouse=True)
def roles(db):
    """The role groups come from a data migration; a transactional test run earlier may have flushed them."""
    role_sync(group_model=Group, permission_model=Permission)


@pytest.fixture
def procedure(ops_manager):
    return services.procedure_create(name="Product bug escalation", source=ESCALATION, owner=ops_manager)


@pytest.fixture
def v1(procedure):
    return services.version_compile(version=procedure.versions.get(), compiler="rules")


def _new_version(procedure, source, user=None):
    version = services.version_create(procedure=procedure, source=source, created_by=user)
    return services.version_compile(version=version, compiler="rules")


# --- create -------------------------------------------------------------------------------


def test_procedure_create_makes_an_uncompiled_v1_draft(procedure, ops_manager):
    version = procedure.versions.get()
    assert procedure.slug == "product-bug-escalation"
    assert procedure.status == Procedure.Status.DRAFT
    assert procedure.owner == ops_manager
    assert (version.number, version.status, version.created_by) == (1, Status.DRAFT, ops_manager)
    assert version.source == ESCALATION.strip()
    assert version.source_hash == services.source_hash(version.source)
    assert not version.steps.exists() and version.graph == {}


@pytest.mark.parametrize("name", ["Product bug escalation", "  product BUG escalation ", "Product bug escalation!"])
def test_a_second_procedure_with_an_existing_name_is_refused_and_nothing_stored(procedure, name):
    with pytest.raises(ProcedureNameTaken) as caught:
        services.procedure_create(name=name, source="1. Reply to the customer.")
    assert "'Product bug escalation' already" in caught.value.message and caught.value.code == "name_taken"
    assert Procedure.objects.count() == 1 and ProcedureVersion.objects.count() == 1
    assert not Procedure.objects.filter(slug="product-bug-escalation-2").exists()


def test_the_same_name_with_another_explicit_slug_is_still_refused_but_another_name_is_fine(procedure):
    with pytest.raises(ProcedureNameTaken):
        services.procedure_create(name="Product bug escalation", source="1. Reply.", slug="bugs-two")
    other = services.procedure_create(name="Bug escalation for partners", source="1. Reply.")
    assert other.slug == "bug-escalation-for-partners"


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("", SourceEmpty),
        ("  \n\t \r\n ", SourceEmpty),
        ("1. Reply to the customer.\n" * 40_000, SourceTooLarge),  # about 1 MB
        (bytes(range(256)) * 8, SourceNotText),  # not UTF-8
        ("\x00\x01\x02\x03PK\x03\x04" + "\x7f\x1b" * 50 + "1. Reply.", SourceNotText),
        ("\ufffd" * 40 + "1. Reply to the customer.", SourceNotText),  # binary decoded with errors="replace"
        ("1. Reply to the customer.\udc80", SourceNotText),  # a lone surrogate: bytes smuggled in as text
    ],
)
def test_bad_text_is_rejected_with_a_clear_error_and_nothing_stored(source, error):
    with pytest.raises(error) as caught:
        services.procedure_create(name="Bad", source=source)
    assert caught.value.code in {"source_empty", "source_too_large", "source_not_text"}
    assert "SOP" in caught.value.message and len(caught.value.message) > 30
    with pytest.raises(error):
        services.procedure_create_and_compile(name="Bad", source=source, compiler="rules")
    assert _nothing_stored()


def test_bad_text_for_a_new_version_is_rejected_and_nothing_stored(v1):
    with pytest.raises(SourceEmpty):
        services.version_create(procedure=v1.procedure, source="   ")
    with pytest.raises(SourceTooLarge):
        services.version_create(procedure=v1.procedure, source="x" * 1_000_000)
    assert list(ProcedureVersion.objects.values_list("number", flat=True)) == [1]


def test_non_english_text_gives_a_clear_error_and_stores_nothing():
    source = "1. Trouvez le compte du client dans Salesforce.\n2. Si le forfait est gratuit, répondez et arrêtez."
    japanese = "1. 顧客のアカウントをSalesforceで探す。\n2. 無料プランなら返信して終了する。"
    for text in (source, japanese):
        try:
            procedure = services.procedure_create_and_compile(name="Escalade", source=text, compiler="rules")
        except SourceDidNotCompile as exc:
            assert "did not compile" in exc.message and "Nothing was saved" in exc.message
            assert exc.issues, "the compiler's reasons are passed on"
            assert _nothing_stored()
        else:  # a compiler that copes is fine too, as long as what it stored is a valid graph
            version = procedure.versions.get()
            assert version.status == Status.COMPILED and version.steps.count() == len(version.graph["steps"])
            procedure.delete()


def test_non_english_compile_failure_says_the_rules_compiler_reads_english():
    with pytest.raises(SourceDidNotCompile) as caught:
        services.procedure_create_and_compile(
            name="Japanese", source="顧客に連絡する前に確認してください", compiler="rules"
        )
    assert "English" in caught.value.message
    assert _nothing_stored()


def test_version_create_returns_latest_when_the_source_is_unchanged(v1):
    same = services.version_create(procedure=v1.procedure, source=ESCALATION.replace("\n", "\r\n") + "\n\n")
    assert same.pk == v1.pk
    assert v1.procedure.versions.count() == 1


def test_version_create_makes_a_new_draft_based_on_the_latest(v1, ops_manager):
    v2 = services.version_create(
        procedure=v1.procedure, source=ESCALATION + "\n8. Thank the customer.", created_by=ops_manager
    )
    assert (v2.number, v2.status, v2.based_on, v2.created_by) == (2, Status.DRAFT, v1, ops_manager)
    v1.refresh_from_db()
    assert v1.status == Status.COMPILED, "editing the source never changes the earlier version"


# --- compile ------------------------------------------------------------------------------


def test_compile_stores_the_graph_and_one_step_row_per_step(v1):
    assert v1.status == Status.COMPILED
    assert v1.compiler == "rules" and v1.compiler_version and v1.compiled_at
    assert v1.errors == []
    graph_steps = v1.graph["steps"]
    rows = list(v1.steps.order_by("position"))
    assert [r.key for r in rows] == [s["key"] for s in graph_steps]
    assert [r.position for r in rows] == list(range(len(rows)))
    for row, step in zip(rows, graph_steps, strict=True):
        assert (row.kind, row.title, row.instruction) == (step["kind"], step["title"], step.get("instruction", ""))
        if "span" in step:
            assert (row.span_start, row.span_end) == (step["span"]["start"], step["span"]["end"])
            assert row.span_end == row.span_start or v1.source[row.span_start : row.span_end].strip()
        assert not {"key", "kind", "title", "instruction", "span"} & set(row.spec)
        assert row.spec == {k: v for k, v in step.items() if k not in ("key", "kind", "title", "instruction", "span")}
        assert not row.hand_edited
    kinds = {r.kind for r in rows}
    assert {"gather", "decide", "act"} <= kinds


def test_compile_failure_stores_errors_and_no_graph_or_steps(v1):
    # A version whose text the rules compiler cannot make steps of.
    broken = ProcedureVersionFactory(
        procedure=v1.procedure, number=2, source="Please be nice to the customers and always do your best for them."
    )
    broken = services.version_compile(version=broken, compiler="rules")
    assert broken.status == Status.FAILED
    assert broken.errors and all(e["message"] for e in broken.errors)
    assert broken.graph == {} and not broken.steps.exists()


def test_a_failed_recompile_removes_the_old_steps(v1):
    # What an import straight into the table could leave behind; the services never change a version's source.
    ProcedureVersion.objects.filter(pk=v1.pk).update(source="Please be nice to the customers, always.")
    v1.refresh_from_db()
    v1 = services.version_compile(version=v1, compiler="rules")
    assert v1.status == Status.FAILED and v1.graph == {} and not v1.steps.exists()
    assert v1.errors[0]["code"] == "compile_failed" and "rules compiler" in v1.errors[0]["message"]
    assert v1.source_hash == services.source_hash(v1.source)


def test_create_and_compile_stores_nothing_when_the_compile_fails(v1):
    with pytest.raises(SourceDidNotCompile) as caught:
        services.version_create_and_compile(
            procedure=v1.procedure,
            source="Please be nice to the customers and always do your best for them.",
            compiler="rules",
        )
    assert caught.value.issues
    assert list(ProcedureVersion.objects.values_list("number", flat=True)) == [1]


def test_a_published_version_cannot_be_recompiled(v1):
    services.version_publish(version=v1)
    with pytest.raises(VersionLocked, match="cannot be recompiled"):
        services.version_compile(version=v1, compiler="rules")


# --- publish and roll back ----------------------------------------------------------------


def test_publish_retires_the_previous_version_and_runs_keep_theirs(v1, ops_manager):
    services.version_publish(version=v1, user=ops_manager)
    run = RunFactory(version=v1)
    v2 = _new_version(v1.procedure, ESCALATION.replace("by 10", "by 15"))
    services.version_publish(version=v2, user=ops_manager)

    v1.refresh_from_db()
    v2.refresh_from_db()
    procedure = Procedure.objects.get(pk=v1.procedure_id)
    assert (v1.status, v2.status) == (Status.RETIRED, Status.PUBLISHED)
    assert v2.published_at and procedure.published_version == v2
    assert procedure.status == Procedure.Status.ACTIVE
    assert ProcedureVersion.objects.filter(procedure=procedure, status=Status.PUBLISHED).count() == 1
    run.refresh_from_db()
    assert run.version == v1, "a running case keeps the version it started on"
    assert v2.history.latest().history_user == ops_manager


@pytest.mark.parametrize("status", [Status.DRAFT, Status.FAILED])
def test_only_a_compiled_version_can_be_published(status):
    version = ProcedureVersionFactory(status=status)
    with pytest.raises(VersionNotPublishable, match="Compile it first"):
        services.version_publish(version=version)
    assert version.procedure.published_version is None


def test_publishing_the_same_version_twice_is_refused(v1):
    services.version_publish(version=v1)
    with pytest.raises(VersionNotPublishable):
        services.version_publish(version=v1)


def test_rollback_publishes_a_new_version_with_the_old_source_and_steps(v1, ops_manager):
    services.version_publish(version=v1)
    v2 = _new_version(v1.procedure, ESCALATION.replace("by 10", "by 15"))
    services.version_publish(version=v2)

    v3 = services.version_rollback(procedure=v1.procedure, to_version=v1, user=ops_manager)

    assert (v3.number, v3.status, v3.based_on, v3.created_by) == (3, Status.PUBLISHED, v1, ops_manager)
    assert v3.source == v1.source and v3.graph == v1.graph
    assert list(v3.steps.values_list("key", "kind", "title", "spec")) == list(
        v1.steps.values_list("key", "kind", "title", "spec")
    )
    statuses = dict(v1.procedure.versions.values_list("number", "status"))
    assert statuses == {1: Status.RETIRED, 2: Status.RETIRED, 3: Status.PUBLISHED}
    assert Procedure.objects.get(pk=v1.procedure_id).published_version == v3


def test_rollback_to_the_published_version_or_a_failed_one_is_refused(v1):
    services.version_publish(version=v1)
    with pytest.raises(RollbackInvalid, match="already the published"):
        services.version_rollback(procedure=v1.procedure, to_version=v1)
    failed = ProcedureVersionFactory(procedure=v1.procedure, number=2, status=Status.FAILED)
    with pytest.raises(RollbackInvalid, match="never compiled"):
        services.version_rollback(procedure=v1.procedure, to_version=failed)
    with pytest.raises(RollbackInvalid, match="another procedure"):
        services.version_rollback(procedure=ProcedureFactory(), to_version=v1)


# --- diff ---------------------------------------------------------------------------------


def _graph(*steps):
    return {"schema_version": 1, "start": steps[0]["key"], "steps": list(steps)}


def test_version_diff_lists_source_lines_and_steps_added_removed_and_changed():
    reply = {"key": "reply", "kind": "act", "title": "Reply", "operation": "zendesk.reply", "params": {"body": "Hi"}}
    close = {"key": "close", "kind": "end", "title": "Close", "span": {"start": 0, "end": 5}}
    note = {"key": "note", "kind": "act", "title": "Note", "operation": "zendesk.add_note", "params": {}}
    old = ProcedureVersionFactory(source="1. Reply.\n2. Close.", graph=_graph(reply, close))
    new = ProcedureVersionFactory(
        procedure=old.procedure,
        source="1. Reply kindly.\n2. Note it.",
        graph=_graph({**reply, "params": {"body": "Hello"}}, note),
    )

    diff = selectors.version_diff(old=old, new=new)

    assert "-1. Reply." in diff.unified and "+1. Reply kindly." in diff.unified
    assert [(line.kind, line.text) for line in diff.lines if line.kind in ("add", "remove")] == [
        ("remove", "-1. Reply."),
        ("remove", "-2. Close."),
        ("add", "+1. Reply kindly."),
        ("add", "+2. Note it."),
    ]
    assert [s["key"] for s in diff.added] == ["note"]
    assert [s["key"] for s in diff.removed] == ["close"]
    assert len(diff.changed) == 1 and diff.changed[0].key == "reply"
    assert [(f.name, f.old, f.new) for f in diff.changed[0].fields] == [
        ("params", '{"body": "Hi"}', '{"body": "Hello"}')
    ]


def test_version_diff_of_compiled_versions_shows_the_changed_threshold(v1):
    v2 = _new_version(v1.procedure, ESCALATION.replace("by 10", "by 15"))
    diff = selectors.version_diff(old=v1, new=v2)
    assert any("by 10" in line.text and line.kind == "remove" for line in diff.lines)
    assert any("by 15" in line.text and line.kind == "add" for line in diff.lines)
    assert any("15" in field.new for change in diff.changed for field in change.fields)
    assert not diff.added and not diff.removed
    assert selectors.version_diff(old=v1, new=v1).steps_changed is False


def test_version_list_is_newest_first(v1):
    _new_version(v1.procedure, ESCALATION + "\n8. Thank the customer.")
    assert [v.number for v in selectors.version_list(procedure=v1.procedure)] == [2, 1]


# --- hand corrections ---------------------------------------------------------------------


def _first(version, kind):
    return version.steps.filter(kind=kind).order_by("position").first()


def test_a_hand_edit_is_validated_recorded_in_history_and_written_to_the_graph(v1, ops_manager):
    step = _first(v1, "act")
    edited = services.step_edit(step=step, changes={"title": "Tell the customer it is logged"}, user=ops_manager)

    assert edited.pk == step.pk and edited.hand_edited
    assert edited.title == "Tell the customer it is logged"
    latest = edited.history.latest()
    assert latest.history_user == ops_manager and latest.title == "Tell the customer it is logged"
    v1.refresh_from_db()
    assert v1.graph["steps"][edited.position]["title"] == "Tell the customer it is logged"


def test_an_invalid_hand_edit_is_rejected_and_changes_nothing(v1, ops_manager):
    step = _first(v1, "decide")
    graph_before, history_before = v1.graph, step.history.count()
    bad_changes = [
        {"branches": [{"when": "account.plan ==", "next": step.spec["branches"][0]["next"]}]},  # CEL does not parse
        {"branches": [{"when": "true", "next": "no_such_step"}]},  # unknown target
        {"title": ""},
        {"colour": "blue"},  # not a field of the step
        {"key": "renamed"},
    ]
    for changes in bad_changes:
        with pytest.raises(StepEditRejected) as caught:
            services.step_edit(step=step, changes=changes, user=ops_manager)
        assert caught.value.message
    v1.refresh_from_db()
    step.refresh_from_db()
    assert v1.graph == graph_before and not step.hand_edited and step.history.count() == history_before


def test_editing_a_published_version_makes_a_draft_carrying_the_edit(v1, ops_manager):
    services.version_publish(version=v1)
    step = _first(v1, "act")
    edited = services.step_edit(step=step, changes={"title": "Reply politely"}, user=ops_manager)

    assert edited.version.number == 2 and edited.version.status == Status.COMPILED
    assert edited.hand_edited and edited.title == "Reply politely"
    step.refresh_from_db()
    assert step.title != "Reply politely", "the published version is never changed"
    assert ProcedureVersion.objects.get(pk=v1.pk).status == Status.PUBLISHED


def test_hand_edits_survive_a_recompile_of_the_same_version_but_not_a_new_source(v1, ops_manager):
    step = _first(v1, "act")
    services.step_edit(step=step, changes={"title": "Reply politely"}, user=ops_manager)

    v1 = services.version_compile(version=v1, compiler="rules")
    kept = v1.steps.get(key=step.key)
    assert kept.hand_edited and kept.title == "Reply politely" and kept.pk == step.pk
    assert next(s for s in v1.graph["steps"] if s["key"] == step.key)["title"] == "Reply politely"

    v2 = _new_version(v1.procedure, ESCALATION + "\n8. Thank the customer.")
    fresh = v2.steps.get(key=step.key)
    assert not fresh.hand_edited and fresh.title != "Reply politely"


def test_source_clean_normalises_line_endings():
    assert services.source_clean("  1. Reply.\r\n2. Close.\r\n\r\n") == "1. Reply.\n2. Close."
    with pytest.raises(ProcedureError):
        services.source_clean(None)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_publishes_leave_exactly_one_published_version():
    import threading

    from django.db import connection

    procedure = services.procedure_create_and_compile(name="Race", source=ESCALATION, compiler="rules")
    v1 = procedure.versions.get()
    v2 = services.version_create_and_compile(
        procedure=procedure, source=ESCALATION.replace("by 10", "by 15"), compiler="rules"
    )
    barrier, errors = threading.Barrier(2), []

    def publish(version):
        try:
            barrier.wait()
            services.version_publish(version=version)
        except Exception as exc:  # recorded; the assertion below says what happened
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=publish, args=(v,)) for v in (v1, v2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    published = list(ProcedureVersion.objects.filter(procedure=procedure, status=Status.PUBLISHED))
    assert len(published) == 1
    assert Procedure.objects.get(pk=procedure.pk).published_version == published[0]
    assert ProcedureVersion.objects.filter(procedure=procedure, status=Status.RETIRED).count() == 1
