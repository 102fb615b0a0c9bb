"""Bad SOP input gives a clear CompileError; nothing invalid comes back as a graph."""

from __future__ import annotations

import pytest

from procedures.compiler import CompileError, compile_source


@pytest.mark.parametrize("text", ["", "   \n\t  \n"])
def test_empty_sop_is_refused_with_a_paste_hint(text):
    with pytest.raises(CompileError, match="The SOP is empty: paste the procedure text"):
        compile_source(text, compiler="rules")


def test_one_megabyte_sop_is_refused_naming_the_limit():
    text = "1. Reply to the customer.\n" * 40_000
    with pytest.raises(CompileError, match="limit is 200 KB") as caught:
        compile_source(text, compiler="rules")
    assert caught.value.errors[0].code == "source_too_large"


def test_binary_garbage_is_refused_as_not_text():
    garbage = bytes(range(256)).decode("latin-1") * 20
    with pytest.raises(CompileError, match="binary data") as caught:
        compile_source(garbage, compiler="rules")
    assert caught.value.errors[0].code == "source_not_text"


def test_undecodable_bytes_are_refused_as_not_text():
    with pytest.raises(CompileError, match="not valid UTF-8"):
        compile_source(b"\xff\xfe\x00garbage\x81", compiler="rules")


@pytest.mark.parametrize(
    "text",
    [
        "1. Wenn der Kunde kündigen möchte, prüfe den Vertrag.\n2. Schließe das Ticket danach.\n",
        "1. Si le client veut annuler, vérifiez le contrat et fermez le ticket.\n",
        "1. 顧客が解約を希望する場合は契約を確認してください。\n2. チケットを閉じる。\n",
        "1. Если клиент хочет отменить подписку, закройте тикет.\n",
    ],
    ids=["german", "french", "japanese", "russian"],
)
def test_non_english_sop_is_refused_by_the_rules_compiler_with_a_way_forward(text):
    with pytest.raises(CompileError, match="does not look like English") as caught:
        compile_source(text, compiler="rules")
    assert caught.value.errors[0].code == "not_english"


def test_english_without_any_recognisable_step_is_refused():
    with pytest.raises(CompileError, match="No step recognised"):
        compile_source("The weather is nice.\nIt is the best of times and the worst.\n", compiler="rules")


def test_unknown_compiler_name_is_refused():
    with pytest.raises(CompileError, match="Unknown compiler"):
        compile_source("1. Reply to the customer.", compiler="magic")  # type: ignore[arg-type]


def test_a_sentence_the_rules_do_not_understand_becomes_a_judgement_with_a_warning_quoting_it():
    source = "1. Reply to the customer that we are on it.\n2. Consider the vibe of the conversation carefully.\n"
    result = compile_source(source, compiler="rules")
    [warning] = [w for w in result.warnings if w.code == "not_understood"]
    assert warning.excerpt == "Consider the vibe of the conversation carefully."
    assert source[warning.span.start : warning.span.end] == warning.excerpt
    step = result.graph.step(warning.step_key)
    assert step.judgement.question == "Consider the vibe of the conversation carefully."
