"""A reply is not an answer: "once the customer accepts the offer, create the issue" waits for the reply, then a
person reads it.

The rules compiler waits for `customer.replied` when a sentence says "once the customer accepts / agrees /
confirms / chooses …". The event says that they wrote back, not what they wrote: the steps after it would run
on a "no thanks" as well. This gate puts a judgement between the reply and those steps — "Does this apply: the
customer accepts the offer?" — yes goes on, no ends the procedure for a person to pick up (or takes the wait's own way
out when the SOP wrote one, "if they do not, close the ticket").
"""

from __future__ import annotations

import re

from procedures.compiler.base import CompileIssue
from procedures.steps import Span

_ANSWERED = re.compile(
    r"\b(?:once|when|after|if|as soon as)\s+(?P<who>(?:the\s+)?(?:customer|requester|member|user|client|buyer|"
    r"cardholder|guest|patient|employee|tenant|seller|they|he|she))\s+(?P<what>(?:accept|agree|confirm|choose|pick|"
    r"decide|decline|reject|refuse|sign|approve|opt|select|say|accepts|agrees|confirms|chooses|picks|decides|"
    r"declines|rejects|refuses|signs|approves|opts|selects|says)\b[^.;:,]{0,60})",
    re.I,
)


def answer_read(steps: dict[str, dict]) -> list[CompileIssue]:
    """After every wait for a reply whose sentence says what the reply must say, a person reads it first."""
    issues = []
    for key, step in list(steps.items()):
        if step["kind"] != "wait" or step.get("for_event") != "customer.replied" or not step.get("on_event"):
            continue
        instruction = step.get("instruction", "")
        found = _ANSWERED.search(instruction)
        if not found:
            continue
        question = f"Does this apply: {found.group('who')} {found.group('what').strip()}?"
        ask = {
            "key": _free(steps, key + "_answer"),
            "kind": "decide",
            "title": question[:300],
            "instruction": instruction,
            "judgement": {
                "question": question[:1000],
                "outcomes": [
                    {"key": "yes", "label": "Yes", "next": step["on_event"]},
                    {"key": "no", "label": "No", "next": step.get("next") or _end(steps, key, step)},
                ],
            },
        }
        if step.get("span"):
            ask["span"] = step["span"]
        steps[ask["key"]] = ask
        step["on_event"] = ask["key"]
        span = step.get("span")
        issues.append(
            CompileIssue(
                f"A reply does not say what it says: a person reads it and answers “{question}” before the steps "
                "after it run",
                "question",
                ask["key"],
                Span(start=span["start"], end=span["end"]) if span else None,
                instruction,
            )
        )
    return issues


def _end(steps: dict[str, dict], key: str, step: dict) -> str:
    end = {"key": _free(steps, key + "_declined"), "kind": "end", "title": "Stop: a person takes it from here"}
    end["outcome"] = "handed_off"
    if step.get("span"):
        end["span"] = step["span"]
    end["instruction"] = step.get("instruction", "")
    steps[end["key"]] = end
    return end["key"]


def _free(steps: dict, base: str) -> str:
    key, n = base, 2
    while key in steps:
        key, n = f"{base}_{n}", n + 1
    return key
