"""The rules compiler never fails with anything but a CompileError, whatever part of an SOP is pasted.

Authors paste halves of documents, drop lines while editing, and lose indentation: every evaluation SOP cut at a
random line, with random lines dropped, or with its indentation flattened must compile or be refused with a message.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from procedures.compiler import compile_source
from procedures.compiler.base import CompileError

EVAL_DIR = Path(__file__).parent / "compiler_eval"
SOPS = sorted(p for p in EVAL_DIR.glob("*.md") if p.name[0].isdigit())


def _variants(text: str, seed: int) -> list[str]:
    rng = random.Random(seed)
    lines = text.splitlines()
    return [
        "\n".join(lines[rng.randrange(len(lines)) :]),
        "\n".join(lines[: rng.randrange(1, len(lines) + 1)]),
        "\n".join(line for line in lines if rng.random() > 0.3),
        "\n".join(line.lstrip() for line in lines),
    ]


@pytest.mark.parametrize("path", SOPS, ids=[p.stem for p in SOPS])
def test_a_cut_or_damaged_sop_compiles_or_is_refused_with_a_message(path):
    for variant in _variants(path.read_text(), seed=sum(map(ord, path.name))):
        if not variant.strip():
            continue
        try:
            compile_source(variant, compiler="rules")
        except CompileError as exc:
            assert str(exc)
