"""`manage.py compile_sop FILE [--compiler rules|llm] [--format text|json]`: try an SOP before pasting it."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from procedures.compiler import CompileError, compile_source
from procedures.compiler.base import check_source
from procedures.compiler.render import graph_as_text
from procedures.publishing import coverage_counts, coverage_line, coverage_listing
from procedures.readback import graph_readbacks


class Command(BaseCommand):
    help = "Compile an SOP file and print its step graph and warnings; exits non-zero when it does not compile."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the SOP text file ('-' reads standard input).")
        parser.add_argument(
            "--compiler", choices=["rules", "llm"], default=None, help="Default: llm with a key, else rules."
        )
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **options):
        raw = self._read(options["file"])
        try:
            source = check_source(raw)
            result = compile_source(source, compiler=options["compiler"])
        except CompileError as exc:
            lines = [f"The SOP does not compile: {str(exc).split(': step ')[0] if exc.errors else exc}"]
            lines += [f"  - {_issue_line(issue)}" for issue in exc.errors if issue.step_key or issue.excerpt]
            raise CommandError("\n".join(lines)) from exc
        readbacks = graph_readbacks(result.graph)
        coverage = [entry.to_json() for entry in result.coverage]
        if options["format"] == "json":
            data = {
                "graph": result.graph.to_json(),
                "readback": readbacks,
                "warnings": [w.to_json() for w in result.warnings],
                "coverage": coverage,
                "coverage_summary": coverage_counts(coverage) if coverage else None,
                "compiler": result.compiler,
                "compiler_version": result.compiler_version,
            }
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
            return
        text = graph_as_text(result.graph, source, result.warnings, compiler=result.compiler)
        self.stdout.write(with_readbacks(text, result.graph, readbacks))
        self.stdout.write("")
        if coverage:
            self.stdout.write(f"Coverage: {coverage_line(coverage)}")
        else:
            self.stdout.write("Coverage: not available (this compiler did not report what became of each sentence).")
        for line in coverage_listing(coverage, source):
            self.stdout.write(line)

    def _read(self, name: str) -> str | bytes:
        if name == "-":
            import sys

            return sys.stdin.buffer.read()
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"No such file: {name}")
        return path.read_bytes()


def _issue_line(issue) -> str:
    where = f" (at {issue.excerpt!r})" if issue.excerpt else ""
    return f"{issue.message}{where}"


def with_readbacks(text: str, graph, readbacks: dict[str, str]) -> str:
    """The step listing with each step's plain-language read-back under its heading line."""
    headings = {
        f"{n:>2}. [{step.kind}] {step.key}: {step.title}": step.key for n, step in enumerate(graph.steps, start=1)
    }
    out = []
    for line in text.split("\n"):
        out.append(line)
        key = headings.pop(line, None)
        if key is not None:
            out.append(f"      reads: {readbacks[key]}")
    return "\n".join(out)
