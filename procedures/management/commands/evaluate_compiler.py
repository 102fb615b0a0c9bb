"""`manage.py evaluate_compiler [--compiler rules|llm] [--set DIR]`: score a compiler on the evaluation SOPs."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from procedures.compiler import CompileError, compile_source
from procedures.compiler.evaluation import failed, score_graph, table


def default_set() -> Path:
    return Path(settings.BASE_DIR) / "tests" / "procedures" / "compiler_eval"


class Command(BaseCommand):
    help = "Compile every SOP of the evaluation set and print per-SOP scores and `overall: 0.NN`."

    def add_arguments(self, parser):
        parser.add_argument("--compiler", choices=["rules", "llm"], default=None)
        parser.add_argument(
            "--set", dest="set_dir", default=None, help="Directory of NN-name.md + NN-name.expected.json."
        )

    def handle(self, *args, **options):
        directory = Path(options["set_dir"]) if options["set_dir"] else default_set()
        pairs = sorted((p, p.with_name(p.stem + ".expected.json")) for p in directory.glob("[0-9]*.md"))
        for sop, expectation in pairs:
            if not expectation.is_file():
                self.stderr.write(f"skipped {sop.name}: no {expectation.name}")
        pairs = [(sop, exp) for sop, exp in pairs if exp.is_file()]
        if not pairs:
            raise CommandError(f"No SOPs with expectations (NN-name.md + NN-name.expected.json) in {directory}")
        scores = []
        for sop, expectation in pairs:
            expected = json.loads(expectation.read_text())
            name = sop.stem
            try:
                result = compile_source(sop.read_text(), compiler=options["compiler"])
            except CompileError as exc:
                scores.append(failed(name, f"did not compile: {str(exc)[:80]}", expected))
                continue
            scores.append(score_graph(name, result.graph, expected))
        self.stdout.write(table(scores))
