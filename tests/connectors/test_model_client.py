"""The model client: strict schemas, caching, usage and errors, against the stub over HTTP."""

from __future__ import annotations

import logging
import time

import pytest

from connectors.model import MAX_TOKENS, SEED, ModelError, model_configured, structured_call
from connectors.models import ModelCall
from connectors.strict_schema import from_strict, strict_schema
from procedures.steps import graph_json_schema, parse
from tests.support.openai_stub import context_overflow, error, reply, slow, truncated

VERDICT_SCHEMA = {
    "type": "object",
    "properties": {
        "outcome": {"type": "string", "enum": ["approve", "reject"]},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "rationale": {"type": "string", "default": ""},
    },
    "required": ["outcome", "confidence"],
}
MESSAGES = [{"role": "system", "content": "Choose an outcome."}, {"role": "user", "content": "The case."}]
VERDICT = {"outcome": "approve", "confidence": 0.9, "rationale": "photos present"}


def ask(**overrides):
    kwargs = {"purpose": "judgement", "messages": MESSAGES, "schema_name": "verdict", "schema": VERDICT_SCHEMA}
    return structured_call(**{**kwargs, **overrides})


# --- strict_schema / from_strict (pure) -----------------------------------------------------------


def _walk(node):
    """Every schema node (not the name-to-schema mappings `properties` and `$defs`)."""
    if isinstance(node, list):
        for value in node:
            yield from _walk(value)
    elif isinstance(node, dict):
        yield node
        for key, value in node.items():
            children = value.values() if key in ("properties", "$defs") and isinstance(value, dict) else [value]
            for child in children:
                yield from _walk(child)


def test_strict_schema_makes_every_object_closed_and_fully_required():
    schema = strict_schema(graph_json_schema())
    objects = [n for n in _walk(schema) if n.get("type") == "object"]
    assert objects
    for node in objects:
        assert node["additionalProperties"] is False
        assert sorted(node["required"]) == sorted(node["properties"])


def test_strict_schema_drops_keywords_strict_mode_rejects():
    schema = strict_schema(graph_json_schema())
    keys = {k for n in _walk(schema) for k in n}
    for keyword in ("oneOf", "discriminator", "default", "const", "title"):
        assert keyword not in keys, keyword
    steps = schema["properties"]["steps"]["items"]
    assert [v["$ref"] for v in steps["anyOf"]] == [
        f"#/$defs/{k}Step" for k in ("Gather", "Decide", "Act", "Wait", "Approve", "End")
    ]
    assert schema["$defs"]["ActStep"]["properties"]["kind"] == {"type": "string", "enum": ["act"]}


def test_strict_schema_makes_optional_fields_nullable_and_keeps_required_ones():
    schema = strict_schema(VERDICT_SCHEMA)
    assert schema["properties"]["outcome"] == {"type": "string", "enum": ["approve", "reject"]}
    assert schema["properties"]["rationale"] == {"anyOf": [{"type": "string", "maxLength": 2000}, {"type": "null"}]}
    assert schema["required"] == ["outcome", "confidence", "rationale"]


def test_every_list_and_free_string_sent_is_bounded():
    """An unbounded list or string is where a small model loops until its token limit."""
    for schema in (strict_schema(graph_json_schema()), strict_schema(VERDICT_SCHEMA)):
        nodes = list(_walk(schema))
        arrays = [n for n in nodes if n.get("type") == "array"]
        strings = [n for n in nodes if n.get("type") == "string" and not {"enum", "pattern", "format"} & set(n)]
        assert strings
        assert all("maxItems" in n for n in arrays)
        assert all("maxLength" in n for n in strings)
    step_title = strict_schema(graph_json_schema())["$defs"]["ActStep"]["properties"]["title"]
    assert step_title["maxLength"] == 300, "a caller's own bound is kept"


def test_strict_schema_turns_maps_into_name_value_pairs():
    schema = strict_schema(graph_json_schema())
    params = schema["$defs"]["ActStep"]["properties"]["params"]["anyOf"][0]
    assert params["type"] == "array"
    assert params["items"]["required"] == ["name", "value"]
    assert params["items"]["properties"]["value"]["type"] == "string"


def test_strict_schema_is_pure_and_idempotent():
    original = graph_json_schema()
    before = repr(original)
    once = strict_schema(original)
    assert repr(original) == before
    assert strict_schema(once) == once


def test_from_strict_restores_maps_and_drops_null_optionals():
    answer = {
        "schema_version": 1,
        "title": None,
        "trigger": None,
        "start": "reply",
        "steps": [
            {
                "kind": "act",
                "key": "reply",
                "title": "Reply",
                "instruction": None,
                "span": {"start": 0, "end": 5},
                "operation": "zendesk.reply",
                "params": [{"name": "ticket_id", "value": "{{ case.external_id }}"}, {"name": "body", "value": "Hi"}],
                "save_as": None,
                "deadline": None,
                "next": "done",
            },
            {"kind": "end", "key": "done", "title": "Done", "outcome": "resolved", "case_status": None},
        ],
    }
    graph = parse(from_strict(answer, graph_json_schema()))
    act = graph.step("reply")
    assert act.params == {"ticket_id": "{{ case.external_id }}", "body": "Hi"}
    assert act.instruction == ""
    assert graph.title == ""


def test_from_strict_passes_through_what_does_not_fit():
    assert from_strict({"steps": "nonsense"}, graph_json_schema()) == {"steps": "nonsense"}


# --- calls over HTTP -----------------------------------------------------------------------------


def test_model_not_configured_without_a_key(settings, db):
    settings.OPENAI_API_KEY = ""
    assert not model_configured()
    with pytest.raises(ModelError) as exc:
        ask()
    assert exc.value.code == "model_not_configured"
    assert "OPENAI_API_KEY" in str(exc.value)


@pytest.mark.django_db
def test_structured_call_sends_strict_json_schema_and_bearer_key(openai_stub):
    openai_stub.script([reply(VERDICT, prompt_tokens=321, completion_tokens=12)])
    answer = ask()
    assert answer.content == VERDICT
    assert answer.model == "stub-model"
    assert (answer.prompt_tokens, answer.completion_tokens, answer.cached) == (321, 12, False)
    [request] = openai_stub.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer test-key"
    assert request.body["model"] == "stub-model"
    assert request.body["messages"] == MESSAGES
    assert request.body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "verdict", "schema": strict_schema(VERDICT_SCHEMA), "strict": True},
    }
    assert request.body["temperature"] == 0
    assert request.body["seed"] == SEED
    assert request.body["max_tokens"] == MAX_TOKENS["judgement"]


@pytest.mark.django_db
def test_max_tokens_follows_the_kind_of_call(openai_stub):
    openai_stub.script([reply(VERDICT)] * 3)
    ask(purpose="clause")
    ask(purpose="compile", messages=[*MESSAGES, {"role": "user", "content": "again"}])
    ask(max_tokens=64, messages=[*MESSAGES, {"role": "user", "content": "once more"}])
    sent = [r.body["max_tokens"] for r in openai_stub.requests]
    assert sent == [MAX_TOKENS["clause"], MAX_TOKENS["compile"], 64]
    assert MAX_TOKENS["clause"] < MAX_TOKENS["compile"]


@pytest.mark.django_db
def test_same_prompt_twice_is_answered_from_the_cache_once_accepted(openai_stub):
    openai_stub.script([reply(VERDICT, prompt_tokens=200, completion_tokens=20)])
    first = ask()
    first.accept()
    second = ask()
    assert len(openai_stub.requests) == 1
    assert second.content == first.content
    assert second.cached and not first.cached
    assert (second.prompt_tokens, second.completion_tokens) == (200, 20)
    row = ModelCall.objects.get()
    assert (row.purpose, row.model, row.prompt_tokens, row.completion_tokens) == ("judgement", "stub-model", 200, 20)
    assert row.prompt_hash == first.prompt_hash


@pytest.mark.django_db
def test_an_answer_the_caller_did_not_accept_is_asked_again(openai_stub):
    """A recompile must not replay an answer the caller rejected."""
    openai_stub.script([reply({**VERDICT, "outcome": "reject"}), reply(VERDICT)])
    rejected = ask()
    assert rejected.content["outcome"] == "reject"  # the caller finds it wrong and does not accept it
    assert not ModelCall.objects.exists()
    again = ask()
    assert (again.content["outcome"], again.cached) == ("approve", False)
    assert len(openai_stub.requests) == 2


@pytest.mark.django_db
def test_rejecting_a_cached_answer_forgets_it(openai_stub):
    openai_stub.script([reply(VERDICT), reply(VERDICT)])
    ask().accept()
    cached = ask()
    assert cached.cached
    cached.reject()
    assert not ModelCall.objects.exists()
    assert not ask().cached
    assert len(openai_stub.requests) == 2


@pytest.mark.django_db
def test_the_model_that_answered_is_recorded_not_the_one_asked_for(openai_stub):
    openai_stub.script([reply(VERDICT, model="qwen2.5-coder-1.5b-instruct-q4_k_m")])
    answer = ask()
    assert answer.model == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    assert answer.usage()["model"] == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    answer.accept()
    assert ModelCall.objects.get().model == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    assert openai_stub.requests[0].body["model"] == "stub-model"


@pytest.mark.django_db
def test_a_different_prompt_or_model_is_a_new_call(openai_stub):
    openai_stub.script([reply(VERDICT), reply(VERDICT), reply(VERDICT)])
    for answer in (
        ask(),
        ask(messages=[*MESSAGES, {"role": "user", "content": "more"}]),
        ask(model="other-model"),
    ):
        answer.accept()
    assert len(openai_stub.requests) == 3
    assert openai_stub.requests[2].body["model"] == "other-model"
    assert ModelCall.objects.count() == 3


@pytest.mark.django_db
def test_server_errors_are_retried_by_the_sdk_then_succeed(openai_stub):
    openai_stub.script([error(500), error(429), reply(VERDICT)])
    answer = ask()
    assert answer.content == VERDICT
    assert len(openai_stub.requests) == 3


@pytest.mark.django_db
def test_persistent_server_error_says_where_and_how_often(openai_stub):
    openai_stub.script([error(500, "boom")] * 3)
    with pytest.raises(ModelError) as exc:
        ask()
    assert exc.value.code == "model_server_error"
    assert (exc.value.retryable, exc.value.status, exc.value.system) == (True, 500, "model")
    assert f"the model server at {openai_stub.url} answered 500 3 times (boom)" in str(exc.value)
    assert len(openai_stub.requests) == 3
    assert not ModelCall.objects.exists()
    usage = exc.value.usage  # what the failure cost is recorded too
    assert (usage["model"], usage["error"]) == ("stub-model", "model_server_error")
    assert usage["latency_ms"] > 0


@pytest.mark.django_db
def test_rate_limit_and_auth_errors_are_named(openai_stub):
    openai_stub.script([error(429)] * 3 + [error(401, "Incorrect API key provided: test-key")])
    with pytest.raises(ModelError) as limited:
        ask()
    assert limited.value.code == "model_rate_limited"
    with pytest.raises(ModelError) as auth:
        ask()
    assert auth.value.code == "model_auth"
    assert not auth.value.retryable
    assert "check OPENAI_API_KEY" in str(auth.value)
    assert "test-key" not in str(auth.value)


@pytest.mark.django_db
def test_bad_request_is_not_retried(openai_stub):
    openai_stub.script([error(400, "messages[1].content must be a string")])
    with pytest.raises(ModelError) as exc:
        ask()
    assert exc.value.code == "model_bad_request"
    assert "must be a string" in str(exc.value)
    assert len(openai_stub.requests) == 1


@pytest.mark.django_db
def test_a_server_without_json_schema_is_asked_in_json_mode_with_the_schema_in_the_prompt(openai_stub):
    openai_stub.script(
        [error(400, "response_format type 'json_schema' is not supported"), reply(VERDICT), reply(VERDICT)]
    )
    assert ask().content == VERDICT
    ask(messages=[*MESSAGES, {"role": "user", "content": "again"}])
    first, fallback, later = openai_stub.requests
    assert first.body["response_format"]["type"] == "json_schema"
    assert fallback.body["response_format"] == {"type": "json_object"}
    assert '"enum":["approve","reject"]' in fallback.prompt_text
    assert [m["role"] for m in fallback.messages] == ["system", "system", "user"]
    assert later.body["response_format"] == {"type": "json_object"}, "the server's answer is remembered"


@pytest.mark.django_db
def test_a_schema_keyword_the_server_refuses_is_left_out(openai_stub):
    openai_stub.script(
        [
            error(400, "Invalid schema for response_format 'verdict': In context=(), 'maxLength' is not permitted."),
            reply(VERDICT),
        ]
    )
    assert ask().content == VERDICT
    refused, accepted = openai_stub.requests
    assert "maxLength" in str(refused.body["response_format"])
    assert "maxLength" not in str(accepted.body["response_format"])
    assert accepted.body["response_format"]["json_schema"]["strict"] is True


@pytest.mark.django_db
def test_an_unsupported_schema_is_named_clearly(openai_stub):
    openai_stub.script(
        [error(400, "Invalid schema for response_format 'verdict': In context=(), 'anyOf' is not permitted.")]
    )
    with pytest.raises(ModelError) as exc:
        ask()
    assert exc.value.code == "model_schema_unsupported"
    assert "refused the answer schema 'verdict'" in str(exc.value)
    assert "'anyOf' is not permitted" in str(exc.value)
    assert "structured outputs" in str(exc.value)
    assert len(openai_stub.requests) == 1


@pytest.mark.django_db
def test_sampling_parameters_a_model_refuses_are_left_out(openai_stub):
    openai_stub.script(
        [
            error(400, "Unsupported value: 'temperature' does not support 0 with this model."),
            error(400, "Unsupported parameter: 'max_tokens' is not supported with this model."),
            reply(VERDICT),
        ]
    )
    assert ask().content == VERDICT
    last = openai_stub.requests[-1].body
    assert "temperature" not in last and "max_tokens" not in last
    assert last["max_completion_tokens"] == MAX_TOKENS["judgement"]
    assert last["seed"] == SEED


@pytest.mark.django_db
def test_a_context_overflow_says_how_large_the_request_and_the_context_are(openai_stub):
    openai_stub.script([context_overflow(2704, 2048)])
    with pytest.raises(ModelError) as exc:
        ask()
    assert exc.value.code == "model_context_exceeded"
    assert "the request is 2704 tokens; the model's context is 2048 tokens" in str(exc.value)
    assert "structured outputs" not in str(exc.value)
    assert (exc.value.prompt_tokens, exc.value.context_tokens) == (2704, 2048)
    assert len(openai_stub.requests) == 1


@pytest.mark.django_db
def test_non_json_answer_is_an_error_and_not_cached(openai_stub):
    openai_stub.script([reply("Sure! Here is the graph you asked for.", completion_tokens=9), reply(VERDICT)])
    with pytest.raises(ModelError) as exc:
        ask()
    assert exc.value.code == "model_not_json"
    assert exc.value.bad_answer and not exc.value.retryable
    assert "the model answered with text that is not JSON" in str(exc.value)
    assert exc.value.raw == "Sure! Here is the graph you asked for."
    assert exc.value.usage["completion_tokens"] == 9
    assert not ModelCall.objects.exists()
    assert ask().content == VERDICT  # asking again reaches the server


@pytest.mark.django_db
def test_json_that_is_not_an_object_is_rejected(openai_stub):
    openai_stub.script([reply("[1, 2]")])
    with pytest.raises(ModelError, match="JSON that is not an object"):
        ask()


@pytest.mark.django_db
def test_refusal_and_truncation_are_named(openai_stub):
    openai_stub.script(
        [
            reply("", refusal="I can't help with that."),
            truncated(completion_tokens=500),
            truncated(completion_tokens=500),
        ]
    )
    with pytest.raises(ModelError) as refused:
        ask()
    assert refused.value.code == "model_refused"
    assert "I can't help with that." in str(refused.value)
    with pytest.raises(ModelError) as cut:
        ask()
    assert cut.value.code == "model_truncated"
    assert "cut off" in str(cut.value)
    assert cut.value.usage["completion_tokens"] == 1000, "both attempts' tokens are recorded"


@pytest.mark.django_db
def test_a_cut_off_answer_is_asked_again_without_quoting_it(openai_stub):
    partial = '{"outcome": "approve", "rationale": "photos photos photos photos'
    openai_stub.script([truncated(partial, completion_tokens=500), reply(VERDICT, completion_tokens=30)])
    answer = ask()
    assert answer.content == VERDICT
    assert answer.completion_tokens == 530
    first, second = openai_stub.requests
    assert partial not in second.prompt_text
    assert all(m["role"] != "assistant" for m in second.messages)
    assert "cut off" in second.messages[-1]["content"]
    assert second.body["seed"] != first.body["seed"]


@pytest.mark.django_db
def test_timeout_is_reported_with_the_setting_to_change(openai_stub, settings):
    settings.SOPDESK_MODEL_TIMEOUT = 0.2
    openai_stub.script([slow(2, reply(VERDICT))] * 3)
    with pytest.raises(ModelError) as exc:
        ask()
    assert exc.value.code == "model_timeout"
    assert "SOPDESK_MODEL_TIMEOUT" in str(exc.value)
    assert len(openai_stub.requests) == 3


@pytest.mark.django_db
def test_sdk_retries_never_outlast_the_task_timeout(openai_stub, settings):
    """60 s x 3 attempts would outlive a 120 s task: the attempts are planned to fit what the task allows."""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 18}  # the model gets what is left after the task's margin
    settings.SOPDESK_MODEL_TIMEOUT = 2.0
    openai_stub.script([slow(10, reply(VERDICT))] * 3)
    started = time.monotonic()
    with pytest.raises(ModelError) as exc:
        ask()
    assert time.monotonic() - started < 5
    assert exc.value.code == "model_timeout"
    assert len(openai_stub.requests) == 1, "no retry fits in what is left of the budget"


@pytest.mark.django_db
def test_unreachable_server_is_reported(settings):
    from tests.support.processes import free_port

    settings.OPENAI_API_KEY = "test-key"
    settings.OPENAI_BASE_URL = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(ModelError) as exc:
        ask()
    assert exc.value.code == "model_unreachable"
    assert "check OPENAI_BASE_URL" in str(exc.value)


@pytest.mark.django_db
def test_the_api_key_is_never_logged(openai_stub, settings, caplog):
    settings.OPENAI_API_KEY = "sk-very-secret-key"
    openai_stub.script([reply(VERDICT), error(401, "Incorrect API key provided: sk-very-secret-key")])
    with caplog.at_level(logging.DEBUG):
        ask().accept()
        with pytest.raises(ModelError) as exc:
            ask(model="other-model")
    assert "sk-very-secret-key" not in caplog.text
    assert "sk-very-secret-key" not in str(exc.value)
    assert openai_stub.requests[0].headers["authorization"] == "Bearer sk-very-secret-key"


def test_stub_also_serves_the_responses_api(openai_stub):
    from openai import OpenAI

    openai_stub.script([reply(VERDICT)])
    with OpenAI(api_key="test-key", base_url=openai_stub.url, max_retries=0) as client:
        response = client.responses.create(model="stub-model", input="hi")
    assert response.output_text == '{"outcome": "approve", "confidence": 0.9, "rationale": "photos present"}'
    assert openai_stub.requests[0].path == "/v1/responses"


def test_stub_rejects_a_schema_openai_strict_mode_would_reject(openai_stub):
    from openai import BadRequestError, OpenAI

    openai_stub.script([reply(VERDICT)])
    with (
        OpenAI(api_key="test-key", base_url=openai_stub.url, max_retries=0) as client,
        pytest.raises(BadRequestError, match="'discriminator' is not permitted"),
    ):
        client.chat.completions.create(
            model="stub-model",
            messages=MESSAGES,
            response_format={
                "type": "json_schema",
                "json_schema": {"name": "graph", "schema": graph_json_schema(), "strict": True},
            },
        )


@pytest.mark.django_db
def test_the_strict_graph_schema_passes_the_stubs_strict_mode_check(openai_stub):
    openai_stub.script([reply({"start": "x"})])
    answer = ask(schema_name="graph", schema=graph_json_schema())
    assert answer.content == {"start": "x"}


def test_a_strict_answer_validates_against_the_strict_schema_and_parses():
    jsonschema = pytest.importorskip("jsonschema")
    answer = {
        "schema_version": 1,
        "title": "Bug escalation",
        "trigger": None,
        "start": "open_bug",
        "steps": [
            {
                "kind": "act",
                "key": "open_bug",
                "title": "Open a Jira bug",
                "instruction": "Open a Bug in ENG.",
                "span": {"start": 0, "end": 18},
                "operation": "jira.create_issue",
                "params": [
                    {"name": "project", "value": "ENG"},
                    {"name": "summary", "value": "{{ case.subject }}"},
                ],
                "save_as": "issue",
                "deadline": None,
                "next": "done",
            },
            {
                "kind": "end",
                "key": "done",
                "title": "Done",
                "instruction": None,
                "span": None,
                "outcome": "resolved",
                "case_status": None,
                "handoff_role": None,
            },
        ],
    }
    jsonschema.validate(answer, strict_schema(graph_json_schema()))
    assert parse(from_strict(answer, graph_json_schema())).step("open_bug").params["project"] == "ENG"
