"""Stage 4: blocks → a step graph. The walker turns each block into steps; this module runs it over the document.

The title (a first short line or top heading) is recorded, not a step;
sections, lead-ins, tables and items go through the `Walker`; after the
walk, ladders are put in order (most specific rung first) and open exits
end on a final "Done" step (`Builder.finish`).
"""

from __future__ import annotations

from procedures.compiler.rules import gates, sentences
from procedures.compiler.rules.builder import Builder
from procedures.compiler.rules.coverage import units
from procedures.compiler.rules.derived_labels import derived_labels
from procedures.compiler.rules.document import Heading, Item, Section, Segment, outline
from procedures.compiler.rules.listed_values import more_field_values, more_identifiers
from procedures.compiler.rules.vocabulary import abbreviations, field_values, identifiers
from procedures.compiler.rules.walker import Walker
from procedures.steps import Graph


def build(source: str, blocks: list) -> tuple[Graph, Builder, int]:
    """The graph, the builder (warnings, marks) and how many statements the walker understood."""
    builder = Builder(source, sentences=units(blocks))
    builder.known.abbreviations = abbreviations(source)
    builder.known.identifiers = identifiers(source) | more_identifiers(source)
    builder.known.values = more_field_values(source, builder.known.identifiers) | field_values(source)
    builder.known.derived = derived_labels(source)
    tree = outline(blocks)
    if tree and _is_title(tree[0], len(blocks)):
        first = tree[0]
        heading = first.heading if isinstance(first, Section) else first
        builder.title = heading.segment.text
        builder.mark(heading.segment, "title")
        tree = list(first.blocks) + tree[1:] if isinstance(first, Section) else tree[1:]
    walker = Walker(builder)
    for block in tree:
        walker.item(block)
    walker.finish_constraints()
    end = len(source.rstrip())
    graph = builder.finish(Segment("", end, end))
    graph, unsure = gates.apply(graph, builder.known, source)
    builder.warnings += unsure
    return graph, builder, walker.understood


def _is_title(block, count: int) -> bool:
    if isinstance(block, Section):
        return block.heading.level == 1 or (count > 1 and sentences.is_title(block.heading.segment.text))
    if isinstance(block, Heading):
        return True
    return (
        isinstance(block, Item)
        and count > 1
        and not block.marked
        and not block.children
        and sentences.is_title(block.segment.text.rstrip(":"))
    )
