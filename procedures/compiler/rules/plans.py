"""Conditions on the customer's plan: "Enterprise customers", "the plan is Free", "on the Premium Protect plan".

The plan's value is the name as the text writes it: every capitalised word the text puts before "plan" or
"membership" ("on the Premium Protect plan" is "Premium Protect", never "Premium"). A usual plan word inside a
longer name the rules cannot delimit is not read at all.
"""

from __future__ import annotations

import re

from procedures.compiler.rules import vocabulary
from procedures.compiler.rules.comparisons import Condition, literal

_TIERS = ("Gold", "Silver", "Platinum", "Bronze")
_WEAK = ("Free", "Pro", "Team", "Standard", "Basic", "Business", "Starter", "Premium", *_TIERS)

_LONGER_NAME = re.compile(
    r"\b(?!(?:If|When|For|The|Is|On|Of|A|An|And|Or|Not|Only|All|Plan|Tier|Unless|Any|Every|Our|Their)\b)[A-Z][\w-]*\s+"
    rf"(?:{'|'.join(vocabulary.PLANS)})\b"
    rf"|\b(?:{'|'.join(vocabulary.PLANS)})\s+(?:Plus|Max|Ultra|Lite|Elite|Advanced|Extra|Prime|Pro|Premium)\b"
)

# "on the Premium Protect plan", "on a Roaming plan", "on Day Pass plan", "on the Care+ membership"
_ON_NAMED_PLAN = re.compile(
    r"\bon\s+(?:the\s+|a\s+|an\s+|their\s+|its\s+|his\s+|her\s+)?"
    r"(?!(?:The|A|An|This|That|Their|Our|Its|Any|Same|Other|New|Old|Current|Payment|Paid|Monthly|Annual)\b)"
    r"((?:[A-Z][\w-]*\s+){0,2}[A-Z][\w-]*\+?)\s+(?:plan|membership)\b"
)


_ANOTHER_TEST = re.compile(
    r"\d|\b(?:more|fewer|less|at least|several|many|some|affected|users?|seats?|over|under|within|after|before)\b", re.I
)


def _is_negated(text: str) -> bool:
    return bool(re.search(r"\b(?:not|isn't|isn’t|no longer|never|unless)\b|n't\b|!=", text, re.I))


def _on_named_plan(text: str) -> Condition | None:
    """ "customers on the Premium Protect plan" → account.plan == "Premium Protect": the name the text gives."""
    match = _ON_NAMED_PLAN.search(text)
    if not match or re.search(r"\b(?:or|and|nor)\b|,", text[: match.start()] + match.group(0), re.I):
        return None
    if _ANOTHER_TEST.search(text):
        return None
    op = "!=" if _is_negated(text) else "=="
    return Condition(f"account.plan {op} {literal(match.group(1))}", text, ("account",))


def named_plan(text: str) -> Condition | None:
    if named := _on_named_plan(text):
        return named
    plans = re.findall(rf"\b({'|'.join(vocabulary.PLANS)})\b", re.sub(r"\bEnt\b", "Enterprise", text))
    if not plans or re.search(r"\b(?:opportunity|closed won)\b", text, re.I):
        return None
    weak = [p for p in plans if p in _WEAK]
    if weak and not re.search(r"\b(?:plan|tier|customers?|accounts?|subscribers?|members?)\b", text, re.I):
        return None
    if _ANOTHER_TEST.search(text) or re.search(r"\b(?:any|all)\b", text, re.I):
        return None  # "more than 5 Enterprise customers are affected" is not a test of this customer's plan
    if _LONGER_NAME.search(text):
        return None  # "plan = Gigabit Pro": a plan named by more words than the usual one; never cut short
    negated = _is_negated(text)
    if re.search(r"\btier\b", text, re.I) and not re.search(r"\bplan\b", text, re.I) and len(plans) == 1:
        return Condition(f'case.tier {"!=" if negated else "=="} "{plans[0]}"', text)  # the case's tier, no look-up
    if len(plans) == 1:
        return Condition(f'account.plan {"!=" if negated else "=="} "{plans[0]}"', text, ("account",))
    listed = ", ".join(f'"{p}"' for p in plans)
    expr = f"account.plan in [{listed}]"
    return Condition(f"!({expr})" if negated else expr, text, ("account",))


def stated_plan(text: str) -> Condition | None:
    """ "the account plan is Trade", "plan = institutional": a plan the text names as the plan's value, even one
    no usual plan list has."""
    m = re.fullmatch(
        r"(?:the\s+)?(?:sf\s+|salesforce\s+)?(?:policy\s+)?(?:(?:salesforce\s+)?account(?:'s)?\s+|customer(?:'s)?\s+)?plan"
        r"(?:\s+in\s+salesforce)?\s+(is not|isn't|is|==?|!=)\s+[`\"“]?([a-z][\w+-]{1,24})[`\"”]?",
        text.strip(),
        re.I,
    )
    # "(account plan Commercial)": the SOP's own note of the plan a case is on, a capitalised name and no verb
    bare = re.fullmatch(r"(?:sf\s+|salesforce\s+)?account\s+plan\s+([A-Z][\w+-]{1,24})", text.strip())
    if bare:
        return Condition(f"account.plan == {literal(bare.group(1))}", text, ("account",))
    if not m or m.group(2).lower() in ("a", "an", "the", "not", "set", "unknown", "missing", "empty", "any"):
        return None
    op = "!=" if m.group(1).lower() in ("is not", "isn't", "!=") else "=="
    return Condition(f"account.plan {op} {literal(m.group(2))}", text, ("account",))


def plan_gloss(text: str) -> Condition | None:
    """ "For commercial accounts (account plan Commercial)": a parenthesis stating the plan, which is more exact
    than the words before it."""
    for m in re.finditer(r"\(([^()]{3,80})\)", text):
        if stated := stated_plan(m.group(1)):
            return Condition(stated.cel, text, stated.needs)
    return None
