"""A big SOP for tests and the editor benchmark: thousands of numbered steps of varied shapes.

The issue's case was a 195 KB SOP compiled into 3,865 steps, whose editor page was
10.4 MB and took Chromium ~163 s to open. `big_sop(n)` writes n numbered steps
(≈ 80 bytes each) cycling through the shapes SOPs are made of: conditions on the
plan or an amount, Jira issues, replies, tags, approvals, waits, emails and a
sentence no compiler understands.
"""

from __future__ import annotations

_SHAPES = (
    "If the plan is Enterprise, open an Incident in the Jira project OPS for case {n}.",
    "Reply to the customer that request {n} is being looked at by the team.",
    "Add the tag batch-{n} to the ticket so reporting can find it later.",
    "If the amount is over ${amount}, get approval from the Claims managers before going on.",
    "Wait {days} business days for the customer to reply to question {n}.",
    "Email the account manager with the ticket link and the plan for item {n}.",
    "Consider how the customer felt about exchange {n} and keep that in mind.",
    "Put an internal note on the ticket saying check {n} was done.",
)


def big_sop(steps: int = 1500) -> str:
    lines = [f"Big operations runbook ({steps} steps)", ""]
    for n in range(1, steps + 1):
        shape = _SHAPES[n % len(_SHAPES)]
        lines.append(f"{n}. " + shape.format(n=n, amount=100 + 25 * (n % 40), days=1 + n % 5))
    return "\n".join(lines) + "\n"
