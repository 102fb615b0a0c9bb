"""`manage.py evaluate_compiler`: compile the evaluation SOPs and score them (precision, recall, branches, ...)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from procedures.compiler import CompileError, compile_source
from procedures.compiler.evaluation import (
    ExpectationError,
    expectation_check,
    expectation_parse,
    report_json,
    report_text,
    score_failed,
    score_result,
)


def default_set() -> Path:
    return Path(settings.BASE_DIR) / "tests" / "procedures" / "compiler_eval"


def _pairs(directory: Path, stderr) -> list[tuple[Path, Path]]:
    if not directory.is_dir():
        return []
    pairs = []
    for sop in sorted(directory.glob("[0-9]*.md")):
        expectation = sop.with_name(sop.stem + ".expected.json")
        if expectation.is_file():
            pairs.append((sop, expectation))
        else:
            stderr.write(f"skipped {sop.name}: no {expectation.name}")
    return pairs


def _expectation(path: Path, source: str):
    """The parsed expectation; None for a file in the first format (skipped); CommandError for a faulty one."""
    try:
        data = json.loads(path.read_text())
    except ValueError as exc:
        raise CommandError(f"{path}: not JSON: {exc}") from exc
    if isinstance(data, dict) and "version" not in data and "items" not in data:
        return None
    try:
        expectation = expectation_parse(data)
    except ExpectationError as exc:
        raise CommandError(f"{path}: {exc}") from exc
    problems = expectation_check(expectation, source)
    if problems:
        raise CommandError(f"{path}: " + "; ".join(problems))
    return expectation


class Command(BaseCommand):
    help = (
        "Compile every SOP of the evaluation sets and print per-SOP figures, every wrong automated step, "
        "and the lines `overall: precision P recall R` and `held-out: precision P recall R`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--compiler", choices=["rules", "llm"], default=None)
        parser.add_argument("--set", dest="set_dir", default=None, help="Dev set: NN-name.md + NN-name.expected.json.")
        parser.add_argument("--heldout", dest="heldout_dir", default=None, help="Held-out set (default: SET/heldout).")
        parser.add_argument("--only", choices=["dev", "heldout"], default=None, help="Score one set only.")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **options):
        dev_dir = Path(options["set_dir"]) if options["set_dir"] else default_set()
        heldout_dir = Path(options["heldout_dir"]) if options["heldout_dir"] else dev_dir / "heldout"
        groups = [("dev", dev_dir), ("heldout", heldout_dir)]
        if options["only"]:
            groups = [g for g in groups if g[0] == options["only"]]
        work = [(group, sop, exp) for group, directory in groups for sop, exp in _pairs(directory, self.stderr)]
        if not work:
            where = " or ".join(str(d) for _, d in groups)
            raise CommandError(f"No SOPs with expectations (NN-name.md + NN-name.expected.json) in {where}")
        scores = []
        for group, sop, path in tqdm(work, desc="compiling", unit="sop", file=sys.stderr, disable=None, leave=False):
            source = sop.read_text()
            expectation = _expectation(path, source)
            if expectation is None:
                self.stderr.write(f"skipped {sop.name}: {path.name} is in the first expectation format, not v2")
                continue
            try:
                result = compile_source(source, compiler=options["compiler"])
            except CompileError as exc:
                scores.append(score_failed(sop.stem, f"did not compile: {str(exc)[:100]}", expectation, group=group))
                continue
            except Exception as exc:  # a compiler crash on one SOP is that SOP's failure, not the run's
                why = f"compiler crashed: {type(exc).__name__}: {str(exc)[:100]}"
                scores.append(score_failed(sop.stem, why, expectation, group=group))
                continue
            scores.append(score_result(sop.stem, result, expectation, source, group=group))
        if options["format"] == "json":
            self.stdout.write(json.dumps(report_json(scores), indent=2))
        else:
            self.stdout.write(report_text(scores))
