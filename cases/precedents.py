"""Precedents: earlier decisions on the same kind of edge, found again for the next one.

Every decided hold is stored as a `Decision` with the situation it answered:
procedure, step, reason (the kind of edge), the facts that mattered and the
case text. A new edge looks them up in two passes:

1. exact: the same *facts signature* — sha256 of procedure id, step key,
   reason and the sorted facts that mattered (`situation_facts`). Facts that
   differ from case to case (an email, a ticket id) are left out on purpose,
   so "no organization found for this requester" is the same edge every time;
2. similar: within the same procedure and step, ranked by text similarity of
   the case text — TF-IDF over word 1- and 2-grams with cosine similarity,
   in pure Python (no model, nothing downloaded; scikit-learn would add 300 MB
   for the same arithmetic). Fitted per lookup on the step's most recent
   decisions, which takes a few milliseconds for hundreds of them.

Only reviewers' decisions are precedents: an automatic decision names the
precedent it followed but never counts as one, so the agent cannot reinforce
itself.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from cases import clock
from cases.casefacts import case_names, fact_at
from cases.models import Decision, ReviewItem

SUGGEST_AFTER = 2  # consistent reviewer decisions on one signature before the agent suggests the same
SIMILAR_CANDIDATES = 500  # most recent decisions on the step that text similarity ranks
MIN_SIMILARITY = 0.05
_PATH = re.compile(r"\b([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+)")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


@dataclass(frozen=True)
class PrecedentMatch:
    decision_id: int
    item_id: int
    case_id: int
    outcome: str
    params: dict
    note: str
    decided_by: str
    decided_at: Any
    score: float
    exact: bool
    case_text: str = ""
    facts: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "decision_id": self.decision_id,
            "item_id": self.item_id,
            "case_id": self.case_id,
            "outcome": self.outcome,
            "params": self.params,
            "note": self.note,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "score": round(self.score, 3),
            "exact": self.exact,
            "case_text": self.case_text[:300],
        }


# --- The situation ------------------------------------------------------------------


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) and not isinstance(value, dict)


def situation_facts(*, step: Any, reason: str, proposal: dict, names: dict) -> dict:
    """The facts that mattered at this edge, in a form that repeats from case to case.

    - what is missing (`missing`) and which facts the step gathers (`facts_key`);
    - the connector's error code when a lookup failed (`not_found`, `ambiguous`);
    - for a judgement, the values of the facts the SOP says it may use;
    - for conditions, the values of the facts they read (e.g. `account.plan`);
    - when the edge is a choice among records (several accounts match), the
      identities chosen among (`candidates`: their ids, or domains/names) and
      the case's organization: choosing "Umbrella West" between two Umbrella
      accounts says nothing about two Hooli accounts.
    Other case-specific values (emails, ticket ids, free text) are deliberately not here.
    """
    facts: dict[str, Any] = {}
    missing = proposal.get("missing")
    if missing:
        facts["missing"] = sorted(missing) if isinstance(missing, list) else [str(missing)]
    for key in ("facts_key", "code"):
        if proposal.get(key):
            facts[key] = str(proposal[key])
    candidates = candidate_identities(proposal.get("candidates"))
    if candidates:
        facts["candidates"] = candidates
        organization = (names.get("case") or {}).get("organization")
        if organization:
            facts["case.organization"] = str(organization)
    paths: list[str] = []
    judgement = getattr(step, "judgement", None)
    if judgement is not None:
        paths += list(judgement.facts)
    for branch in getattr(step, "branches", None) or []:
        paths += _PATH.findall(branch.when)
    for path in sorted(set(paths)):
        if path.startswith(("case.description", "case.subject", "case.id", "case.ticket_id", "case.url")):
            continue
        value = fact_at(path, names)
        if _scalar(value):
            facts[path] = value
    return facts


def _identity(candidate: Any) -> str:
    if isinstance(candidate, dict):
        for key in ("id", "domain", "email", "name", "key"):
            if candidate.get(key) not in (None, ""):
                return str(candidate[key])
        return json.dumps(candidate, sort_keys=True, default=str)
    return str(candidate)


def candidate_identities(candidates: Any) -> list[str]:
    """The sorted identities of the records an edge chose among (ids first, else domain, email, name)."""
    if not isinstance(candidates, list):
        return []
    return sorted({_identity(c) for c in candidates})


def chosen_identities(params: dict) -> set[str]:
    """Every identity a decision's parameters name (the chosen record's id, domain, …)."""
    found: set[str] = set()
    for value in (params or {}).values():
        if isinstance(value, dict):
            found |= {str(value[k]) for k in ("id", "domain", "email", "key") if value.get(k) not in (None, "")}
        elif isinstance(value, (str, int)) and not isinstance(value, bool):
            found.add(str(value))
    return found


def precedent_params_valid(*, params: dict, facts: dict) -> bool:
    """A precedent's parameters fit the new edge: when it chose among records, its choice is among the new ones."""
    candidates = facts.get("candidates")
    if not candidates or not params:
        return True
    return bool(chosen_identities(params) & set(candidates))


def facts_signature(*, procedure_id: int, step_key: str, reason: str, facts: dict) -> str:
    """A stable hash of the kind of edge: same procedure, step, reason and facts that mattered."""
    canonical = json.dumps(
        [procedure_id, step_key, reason, sorted((k, facts[k]) for k in facts)],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def case_text(*, subject: str, description: str) -> str:
    return f"{subject or ''}\n{description or ''}".strip()


# --- Text similarity (pure-Python TF-IDF, word 1-2-grams, cosine) ------------------------


def _terms(text: str) -> Counter:
    words = _WORD.findall((text or "").lower())
    grams = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
    return Counter(grams)


def text_similarities(query: str, documents: list[str]) -> list[float]:
    """Cosine similarity of `query` to each document under TF-IDF weights fitted on all of them."""
    bags = [_terms(d) for d in documents]
    query_bag = _terms(query)
    total = len(bags) + 1
    df: Counter = Counter()
    for bag in [*bags, query_bag]:
        df.update(bag.keys())
    idf = {term: math.log((1 + total) / (1 + n)) + 1.0 for term, n in df.items()}

    def vector(bag: Counter) -> dict[str, float]:
        weights = {t: (1 + math.log(c)) * idf[t] for t, c in bag.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items()}

    q = vector(query_bag)
    scores = []
    for bag in bags:
        d = vector(bag)
        small, large = (q, d) if len(q) < len(d) else (d, q)
        scores.append(sum(w * large.get(t, 0.0) for t, w in small.items()))
    return scores


# --- Lookups ----------------------------------------------------------------------------


def _match(decision: Decision, *, score: float, exact: bool) -> PrecedentMatch:
    return PrecedentMatch(
        decision_id=decision.id,
        item_id=decision.item_id,
        case_id=decision.item.case_id,
        outcome=decision.outcome,
        params=decision.params or {},
        note=decision.note,
        decided_by=decision.decided_by.get_username() if decision.decided_by else "",
        decided_at=decision.decided_at,
        score=score,
        exact=exact,
        case_text=decision.case_text,
        facts=decision.facts or {},
    )


def _reviewed():
    return Decision.objects.filter(source=Decision.Source.REVIEWER).select_related("decided_by", "item")


def precedent_find(
    *,
    procedure: Any,
    step_key: str,
    reason: str,
    facts: dict,
    text: str,
    limit: int = 5,
    exclude_item_id: int | None = None,
) -> list[PrecedentMatch]:
    """Earlier reviewer decisions on this edge: exact signature matches first (newest first), then similar text."""
    procedure_id = getattr(procedure, "id", procedure)
    signature = facts_signature(procedure_id=procedure_id, step_key=step_key, reason=reason, facts=facts)
    decisions = _reviewed()
    if exclude_item_id:
        decisions = decisions.exclude(item_id=exclude_item_id)
    exact = list(decisions.filter(signature=signature).order_by("-decided_at", "-id")[:limit])
    exact = [d for d in exact if precedent_params_valid(params=d.params or {}, facts=facts)]
    matches = [_match(d, score=1.0, exact=True) for d in exact]
    if len(matches) >= limit:
        return matches
    candidates = list(
        decisions.filter(procedure_id=procedure_id, step_key=step_key)
        .exclude(id__in=[d.id for d in exact])
        .order_by("-decided_at", "-id")[:SIMILAR_CANDIDATES]
    )
    if candidates and text:
        scores = text_similarities(text, [d.case_text for d in candidates])
        ranked = sorted(zip(scores, candidates, strict=True), key=lambda pair: (-pair[0], -pair[1].id))
        similar = [_match(d, score=s, exact=False) for s, d in ranked if s >= MIN_SIMILARITY][: limit - len(matches)]
        matches += [m if precedent_params_valid(params=m.params, facts=facts) else _without_params(m) for m in similar]
    return matches


def _without_params(match: PrecedentMatch) -> PrecedentMatch:
    """A similar decision whose chosen record is not among this edge's candidates: shown, never reused."""
    from dataclasses import replace

    note = f"{match.note} (its choice is not among this case's candidates)".strip()
    return replace(match, params={}, note=note)


def precedent_consensus(*, matches: list[PrecedentMatch], count: int) -> PrecedentMatch | None:
    """The newest exact precedent, when the `count` newest exact ones all chose the same outcome and params."""
    exact = [m for m in matches if m.exact]
    if count < 1 or len(exact) < count:
        return None
    recent = exact[:count]
    first = recent[0]
    if all(m.outcome == first.outcome and m.params == first.params for m in recent):
        return first
    return None


def precedent_auto_outcome(*, procedure: Any, matches: list[PrecedentMatch]) -> PrecedentMatch | None:
    """The precedent to apply without asking, when the procedure allows it and its last N decisions here agree."""
    count = getattr(procedure, "precedent_auto_apply_after", None)
    if not count:
        return None
    return precedent_consensus(matches=matches, count=count)


def item_situation(*, item: ReviewItem) -> dict:
    """The situation a hold answers: procedure, signature, facts that mattered, case text.

    Keys starting with `_` (the typed step, the names expressions see) are for
    the caller's use and are not stored.
    """
    from procedures.steps import GraphError, parse

    run = item.run
    state = run.state or {}
    names = {**(state.get("facts") or {}), "case": case_names(item.case), "event": state.get("event") or {}}
    try:
        step = parse(run.version.graph).step(item.step_key)
    except (GraphError, KeyError):
        step = None
    facts = situation_facts(step=step, reason=item.reason, proposal=item.proposal or {}, names=names)
    procedure_id = run.version.procedure_id
    return {
        "procedure_id": procedure_id,
        "signature": facts_signature(
            procedure_id=procedure_id, step_key=item.step_key, reason=item.reason, facts=facts
        ),
        "facts": facts,
        "text": case_text(subject=item.case.subject, description=item.case.description),
        "_step": step,
        "_names": names,
    }


# --- Recording --------------------------------------------------------------------------


def decision_record(
    *,
    item: ReviewItem,
    source: str = Decision.Source.REVIEWER,
    followed_id: int | None = None,
) -> Decision:
    """Store the decision just made on `item` (after `hold_resolve`) with the situation it answered.

    The situation comes from `item.proposal["situation"]` when the agent
    consulted on the hold (`cases.judgements.hold_consult`), else it is worked
    out now from the run's graph and facts. Idempotent: one Decision per item.
    """
    existing = Decision.objects.filter(item_id=item.id).first()
    if existing:
        return existing
    situation = (item.proposal or {}).get("situation") or item_situation(item=item)
    agent = (item.proposal or {}).get("agent") or {}
    with transaction.atomic():
        return Decision.objects.create(
            item=item,
            procedure_id=situation["procedure_id"],
            step_key=item.step_key,
            reason=item.reason,
            signature=situation["signature"],
            facts=situation["facts"],
            case_text=situation["text"],
            outcome=item.outcome,
            params=item.decision_params or {},
            note=item.note,
            source=source,
            proposed_outcome=agent.get("outcome") or "",
            proposal_source=agent.get("source") or "",
            followed_id=followed_id,
            decided_by=item.decided_by,
            decided_at=item.decided_at or clock.now(),
        )
