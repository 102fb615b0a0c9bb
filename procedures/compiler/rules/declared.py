"""The team's declared operations as vocabulary: which one a clause names, and conditions on their outputs.

Data-driven from `connectors.registry.operations()` only: an operation whose
`origin` is not built-in (HTTP or MCP tools an admin declared) is matched by the
words of its `keywords` (synonyms, system, action, output names) and `summary`.
A clause maps to one only when it names the operation's system or one of its
synonyms and no other declared operation fits as well; a later condition maps
to the outputs of a declared result already gathered on the path. Built-in
operations keep their own rules (`operations`, `conditions`), so with nothing
declared this module changes nothing.
"""

from __future__ import annotations

import re

from connectors.declared import answers as vocab
from connectors.declared.catalog import outputs_of
from connectors.registry import Operation
from procedures.compiler.rules import vocabulary
from procedures.compiler.rules.candidates import TICKET, Act, lit
from procedures.compiler.rules.vocabulary import Known

_LOOKUP = r"\b(?:look|lookup|find|read|get|check|verify|fetch|pull|query|see|consult|ask)\b"
_SYSTEM_NOUN = r"(?:system|tool|service|platform|detector|database|api|app|portal|registry|monitor|tracker)"


def declared(known: Known) -> list[Operation]:
    return [op for op in known.operations().values() if op.origin != "built-in"]


def _has(phrase: str, text: str) -> bool:
    return bool(phrase) and re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", text) is not None


def _words(text: str) -> str:
    return re.sub(r"['’]s\b", "", text.lower())


def _score(op: Operation, text: str) -> tuple[int, int]:
    """(phrases of the operation the text names, of which multi-word synonyms/system) — 0 when its system is not named."""
    system = op.system.replace("_", " ")
    phrases = [k for k in op.keywords if k]
    named = _has(system, text) or any(_has(k, text) for k in phrases if " " in k)
    if not named:
        return 0, 0
    hits = [k for k in phrases if _has(k, text)]
    return len(hits), sum(" " in k for k in hits)


def _verbs(op: Operation) -> set[str]:
    """Words a clause asking for this write starts with: its action's words, its synonyms' and summary's first."""
    _, _, action = op.name.partition(".")
    phrases = [action.replace("_", " "), op.summary, *op.keywords]
    return {p.split()[0].lower() for p in phrases if p.split()} | set(action.split("_"))


def operation_for(text: str, known: Known, *, writes: bool) -> Operation | None:
    """The one declared operation (read or write) the clause names, or None when none or several fit equally.

    A write must also be asked for with one of its verbs ("apply a service credit …"): a clause that only
    mentions the system ("reply with the link from the billing system") never triggers a write."""
    if not writes and (answered := _answered_operation(text, known)):
        return answered
    lowered = _words(text)
    verb = (re.match(r"[a-z]+", lowered) or re.match("", "")).group(0)
    scored = sorted(
        (
            (_score(op, lowered), op)
            for op in declared(known)
            if op.writes == writes and (not writes or verb in _verbs(op))
        ),
        key=lambda s: s[0],
        reverse=True,
    )
    scored = [(s, op) for s, op in scored if s[0] >= 2]
    if not scored or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1]


def save_as_for(op: Operation) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", op.system.lower()).strip("_") or "result"


def _param(name: str, param, text: str, known: Known) -> str | None:
    """The value of one input: an earlier result's output of that name, the requester's email, the ticket, or a
    number the clause gives in that unit ("in the last 24 hours" → hours = 24). None: nothing known gives it."""
    if name == "ticket_id":
        return TICKET
    for save_as in reversed(list(known.results)):
        if name in known.returns(save_as):
            return f"{{{{ {save_as}.{name} }}}}"
    if param.type == "email" or name in ("email", "requester_email", "customer_email"):
        return "{{ case.requester_email }}"
    if param.type in ("integer", "number"):
        unit = re.escape(name.rstrip("s"))
        number = re.search(rf"\b(\d+(?:\.\d+)?)\s+{unit}s?\b", text, re.I)
        if number:
            return number.group(1)
    return None


def act_for(text: str, known: Known, *, writes: bool) -> Act | None:
    """A gather (read) or act (write) step on the declared operation the clause names, its inputs from known facts.

    An operation is chosen only when every required input comes from a known fact; otherwise None (a question).
    """
    op = operation_for(text, known, writes=writes)
    if op is None:
        return None
    params: dict[str, str] = {}
    for name, param in op.params.items():
        value = _param(name, param, text, known)
        if value is None and param.required:
            return None
        if value is not None and (param.required or not writes):
            params[name] = value
    lowered = _words(text)
    required = [r for r in op.returns if _has(r.replace("_", " "), lowered)] if not writes else []
    title = (op.summary.split(":")[0].split(".")[0] or op.name)[:120]
    save_as = save_as_for(op)
    return Act(op.name, params, title, save_as=save_as if not writes else None, gather=not writes, required=required)


def missing_inputs(text: str, known: Known) -> tuple[str, list[str]] | None:
    """(operation, required inputs no known fact gives) when the clause names a declared operation it cannot call."""
    op = operation_for(text, known, writes=not looks_up(text))
    if op is None:
        return None
    missing = [n for n, p in op.params.items() if p.required and _param(n, p, text, known) is None]
    return (op.name, missing) if missing else None


_DOCUMENTED_FIELDS = ("carrier",)  # case.fields the engine documents beyond vocabulary.CASE_PHRASES


def undeclared_fields(cel: str, known: Known) -> list[str]:
    """`case.fields.<name>` a CEL reads that is neither a documented case fact nor an output of a declared operation
    (custom Zendesk/Salesforce fields are declared operations too). Empty when nothing is declared."""
    tools = declared(known)
    if not tools:
        return []
    documented = {m.group(1) for v in vocabulary.CASE_PHRASES.values() for m in re.finditer(r"case\.fields\.(\w+)", v)}
    allowed = documented | set(_DOCUMENTED_FIELDS) | {r for op in tools for r in op.returns}
    return [
        name for name in re.findall(r"case\.fields\.(\w+)", cel) if name not in allowed and not name.endswith("_days")
    ]


def looks_up(text: str) -> bool:
    return re.search(_LOOKUP, text.lower()) is not None


def recognise(text: str, known: Known) -> Act | None:
    """A clause naming a declared operation: a lookup verb → its read, any other verb → its write."""
    return act_for(text, known, writes=not looks_up(text))


def candidates(text: str, known: Known, *, limit: int = 3) -> list[str]:
    """Declared operations whose words overlap the text most (for the question "which system tells us X?")."""
    words = set(re.findall(r"[a-z]{4,}", _words(text)))
    ranked = []
    for op in declared(known):
        vocab = set(re.findall(r"[a-z]{4,}", " ".join(op.keywords) + " " + op.summary.lower()))
        overlap = len(words & vocab)
        if overlap:
            ranked.append((overlap, op.name))
    return [name for _, name in sorted(ranked, key=lambda r: (-r[0], r[1]))[:limit]] or sorted(
        op.name for op in declared(known)
    )[:limit]


def still_open(phrase: str) -> bool:
    """Whether to ask about this phrase again: not when a person said they decide it. (Asked only where a sentence
    was not understood, so an answer naming an operation or fact that could not be used here is asked again.)"""
    answer = vocab.find(vocab.key(phrase))
    return answer is None or bool(answer.answer)


def _answered_operation(text: str, known: Known) -> Operation | None:
    """The read operation a person said a system phrase in the text means ("the CRM system" → crm.get_customer)."""
    for answer in vocab.mentioned(text, kind="system"):
        op = known.operations().get(answer.operation)
        if op is not None and not op.writes:
            return op
    return None


def unknown_system(text: str, known: Known) -> str | None:
    """The system a clause names ("the CRM system", "the segment tool") when declared operations exist but none fits."""
    if not declared(known):
        return None
    named = re.search(rf"\b(?:the|our)\s+((?:[\w-]+\s+){{0,2}}{_SYSTEM_NOUN})\b", text, re.I)
    if not named:
        return None
    system = named.group(1).lower()
    built_in = {op.system for op in known.operations().values() if op.origin == "built-in"}
    if any(_has(name, system) for name in built_in) or vocabulary.endpoint_for(system):
        return None
    return system


# -- conditions on declared outputs -------------------------------------------------------------------------

_STATE = re.compile(
    r"^(?:the\s+)?(?:customer(?:['’]s)?\s+)?(?P<subject>[a-z][\w -]*?|it|they)\s+(?:is|was|are|were|has been|have been)"
    r"\s+(?P<neg>not\s+)?(?P<value>[a-z][\w-]*)"
    r"(?:\s+(?:because of|due to|for|over|with reason|as)\s+(?:the\s+|a\s+|an\s+)?(?P<reason>[a-z][\w -]*?))?$",
    re.I,
)
_THERE = re.compile(
    r"^there\s+(?:was|is|has been|were|have been)\s+(?P<neg>no\s+)?(?:an?\s+|any\s+)?(?P<thing>[a-z][\w -]*?)"
    r"(?:\s+(?:in|within|during|over)\s+the\s+(?:last|past)\s+.+)?$",
    re.I,
)


def _declared_results(known: Known) -> list[tuple[str, tuple[str, ...]]]:
    ops = known.operations()
    found = []
    for save_as in reversed(list(known.results)):
        op = ops.get(known.results[save_as])
        if op is not None and op.origin != "built-in":
            found.append((save_as, op.returns))
    return found


def _stem_overlap(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def _output(results, wanted) -> tuple[str, str] | None:
    """The first (save_as, output) for which `wanted(output)` holds, results latest first; None when ambiguous."""
    for save_as, outputs in results:
        matches = [o for o in outputs if wanted(o)]
        if len(matches) == 1:
            return save_as, matches[0]
        if matches:
            return None
    return None


def condition(text: str, known: Known) -> tuple[str, tuple[str, ...]] | None:
    """ "the account is suspended because of fraud", "it is suspended for non-payment", "there was an outage in
    the last 24 hours" → (CEL, save_as names it reads) on the outputs of declared results gathered earlier;
    None when it names none."""
    if answered := answered_condition(text, known):
        return answered
    results = _declared_results(known)
    if not results:
        return None
    text = re.sub(r"\s+", " ", text.strip(" .,:;"))
    there = _THERE.match(text)
    if there:
        thing = re.sub(r"[^a-z0-9]+", "_", there.group("thing").lower()).strip("_")
        found = _output(results, lambda o: o == thing)
        if found:
            cel = f"{found[0]}.{found[1]}"
            return (f"!{cel}" if there.group("neg") else cel), (found[0],)
        return None
    state = _STATE.match(text)
    if not state:
        return None
    subject = re.sub(r"[^a-z0-9]+", "_", state.group("subject").lower()).strip("_")
    value = state.group("value").lower()
    if subject in ("it", "they"):
        status = _output(results, lambda o: o == "status" or o.endswith("_status"))
    else:
        status = _output(results, lambda o: o in (f"{subject}_status", f"{subject}_state"))
    if status is None:
        return None
    save_as, attr = status
    outputs = dict(results)[save_as]
    cel = f"{save_as}.{attr} {'!=' if state.group('neg') else '=='} {lit(value)}"
    reason = state.group("reason")
    if reason:
        reasons = [o for o in outputs if o == "reason" or o.endswith("_reason")]
        reasons.sort(key=lambda o: -_stem_overlap(o, value))
        if not reasons or state.group("neg"):
            return None
        cel += f" && {save_as}.{reasons[0]} == {lit(reason.strip().lower())}"
    return cel, (save_as,)


# -- conditions on facts a person named ("the customer's segment" → case.fields.customer_segment) -----------------

_COMPARE = re.compile(
    r"^(?P<subject>[a-z][\w '’-]*?)\s+(?:is|are|was|were|equals)\s+(?P<neg>not\s+)?"
    r"(?:(?P<cmp>over|above|more than|greater than|at least|under|below|less than|at most)\s+)?"
    r"(?:(?:an?|the)\s+)?[\"“']?(?P<value>[\w$€£][\w .,$€£-]*?)[\"”']?$",
    re.I,
)
_NUMERIC = {"over": ">", "above": ">", "more than": ">", "greater than": ">", "at least": ">=",
            "under": "<", "below": "<", "less than": "<", "at most": "<="}  # fmt: skip


def answered_condition(text: str, known: Known) -> tuple[str, tuple[str, ...]] | None:
    """ "the customer's segment is enterprise" → `case.fields.customer_segment == "enterprise"` when a person
    answered what "the customer's segment" is; on an operation's output, the gather it needs comes first."""
    compare = _COMPARE.match(re.sub(r"\s+", " ", text.strip(" .,:;")))
    if not compare:
        return None
    answer = vocab.find(vocab.key(compare.group("subject")), kind="fact")
    if answer is None or not answer.answer:
        return None
    if answer.answer.startswith("case."):
        path, needs, values = answer.answer, (), _case_values(answer.answer)
    else:
        found = _answered_output(answer, known)
        if found is None:
            return None
        path, needs, values = found
    value = compare.group("value").strip()
    if compare.group("cmp"):
        amount = re.sub(r"[$€£,]", "", value)
        if not re.fullmatch(r"\d+(?:\.\d+)?", amount):
            return None
        symbol = _NUMERIC[compare.group("cmp").lower()]
        cel = f"{path} {symbol} {amount}"
        return (f"!({cel})" if compare.group("neg") else cel), needs
    canonical = next((v for v in values if v.lower() == value.lower()), value.lower())
    return f"{path} {'!=' if compare.group('neg') else '=='} {lit(canonical)}", needs


def _case_values(path: str) -> tuple[str, ...]:
    if not path.startswith("case.fields."):
        return ()
    fact = path.removeprefix("case.fields.")
    return next((values for name, _, _, values in vocab.zendesk_custom_fields() if name == fact), ())


def _answered_output(answer: vocab.Answer, known: Known) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
    """(CEL path, save_as it needs, declared values) of an answered operation output; None when it cannot be read."""
    op = known.operations().get(answer.operation)
    if op is None or answer.output not in op.returns:
        return None
    values = next((o.values for o in outputs_of(op) if o.name == answer.output), ())
    for save_as in reversed(list(known.results)):
        if known.results[save_as] == op.name:
            return f"{save_as}.{answer.output}", (save_as,), values
    save_as = _free_save_as(op, known)
    if gather_for(save_as, known) is None:
        return None  # its inputs are not known here: never a condition on a fact nothing can read
    return f"{save_as}.{answer.output}", (save_as,), values


def _free_save_as(op: Operation, known: Known) -> str:
    name = save_as_for(op)
    taken = known.results.get(name)
    return name if taken in (None, op.name) else re.sub(r"[^a-z0-9_]+", "_", op.name)


def gather_for(save_as: str, known: Known) -> Act | None:
    """The gather of an answered operation saved as `save_as`, its inputs from known facts; None when none fits."""
    ops = known.operations()
    for answer in vocab.current():
        op = ops.get(answer.operation)
        if answer.kind != "fact" or op is None or op.writes or _free_save_as(op, known) != save_as:
            continue
        params = {}
        for name, param in op.params.items():
            value = _param(name, param, "", known)
            if value is None and param.required:
                return None
            if value is not None:
                params[name] = value
        title = (op.summary.split(":")[0].split(".")[0] or op.name)[:120]
        return Act(op.name, params, title, save_as=save_as, gather=True, required=[answer.output])
    return None
