"""Score compiled SOPs against hand-checked expectations (format v2) — pure functions, no database, no I/O.

Stages, one module each:
  expectations  parse and check an `NN-name.expected.json` (tests/procedures/compiler_eval/FORMAT.md),
                find each quote in the SOP text
  conditions    read a CEL branch condition as a boolean tree of comparisons
  matching      the graph's automated units (gather/act/wait/approve steps, each branch condition)
                and whether one matches an expected item exactly
  paths         walk the graph with given facts (CEL evaluated on them): which steps a case reaches
  repeats       a matched step repeated on a branch no run shares with it (right) or in the same run
  scoring       one SOP's figures: precision of automated units, recall of items, branches,
                exact params, automation rate, silent drops, questions, and every wrong unit with why
  report        the per-SOP table, the list of wrong steps, and `overall:` / `held-out:` pooled lines

Precision first: an automated unit is right only when it matches an expected (or allowed) item
exactly; a forbidden operation, a unit from non-procedural text, a person's decision turned into an
action, wrong parameters, a duplicate (a repeat a run can execute twice, or from a sentence that asks
for no such step) or a spurious unit each count against it and are listed.
"""

from procedures.compiler.evaluation.expectations import (
    Expectation,
    ExpectationError,
    expectation_check,
    expectation_parse,
)
from procedures.compiler.evaluation.report import pooled, report_json, report_text
from procedures.compiler.evaluation.scoring import SopScore, WrongStep, score_failed, score_result

__all__ = [
    "Expectation",
    "ExpectationError",
    "SopScore",
    "WrongStep",
    "expectation_check",
    "expectation_parse",
    "pooled",
    "report_json",
    "report_text",
    "score_failed",
    "score_result",
]
