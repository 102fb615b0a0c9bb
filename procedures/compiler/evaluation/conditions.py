"""CEL branch conditions read as comparisons: a small parser into a boolean tree of atoms.

The `cel` library evaluates expressions but does not expose their syntax tree, so
this module parses the subset conditions use (`||`, `&&`, `!`, comparisons,
`in`, `has()`, `size()`, `.contains()`/`.matches()`, `.exists(x, x == v)`) into
`Or`/`And`/`Not` nodes over `Atom`s. Each atom keeps its own source text, so
the path walker can evaluate it with the real CEL library on bound facts.
Anything else (arithmetic, ternaries, unknown calls) becomes an `Opaque` node.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?u?)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op>==|!=|<=|>=|&&|\|\||[<>!()\[\]{},.?:+\-*/%])
    )""",
    re.VERBOSE,
)
_NEGATE = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">", "in": "not in", "not in": "in"}
_NEGATE.update({"contains": "not contains", "not contains": "contains"})
_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}
_CASTS = {"int", "double", "string", "uint", "lowerAscii", "upperAscii", "trim"}
_TEXT_TESTS = {"contains", "matches", "startsWith", "endsWith"}


class ConditionSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Ref:
    """A fact path used as a value (`shipment.carrier == case.fields.carrier`)."""

    path: str


@dataclass(frozen=True)
class Atom:
    """One comparison: `fact op value`. `exists` atoms carry value True (present) or False (absent)."""

    fact: str
    op: str
    value: object
    text: str
    paths: tuple[str, ...]

    def negated(self) -> Atom:
        if self.op == "exists":
            return Atom(self.fact, "exists", not self.value, f"!({self.text})", self.paths)
        return Atom(self.fact, _NEGATE[self.op], self.value, f"!({self.text})", self.paths)


@dataclass(frozen=True)
class Opaque:
    text: str
    paths: tuple[str, ...]


@dataclass(frozen=True)
class Not:
    inner: object


@dataclass(frozen=True)
class And:
    parts: tuple


@dataclass(frozen=True)
class Or:
    parts: tuple


# --- syntax: tokens → generic nodes ---------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    kind: str  # lit, list, path, call, method, rel, and, or, not, neg, other
    start: int
    end: int
    value: object = None  # literal value, path string, function/method name, operator
    args: tuple = ()


def _tokens(text: str) -> list[tuple[str, str, int, int]]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ConditionSyntaxError(f"cannot read {text[pos : pos + 20]!r}")
        kind = match.lastgroup
        out.append((kind, match.group(kind), match.start(kind), match.end(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self, value: str | None = None) -> bool:
        if self.i >= len(self.toks):
            return False
        kind, tok, _, _ = self.toks[self.i]
        return value is None or (tok == value and kind in ("op", "name"))

    def take(self, value: str | None = None):
        if not self.peek(value):
            found = self.toks[self.i][1] if self.i < len(self.toks) else "the end"
            raise ConditionSyntaxError(f"expected {value or 'more'} in {self.text!r}, found {found}")
        self.i += 1
        return self.toks[self.i - 1]

    def parse(self) -> _Node:
        node = self.expr()
        if self.i != len(self.toks):
            raise ConditionSyntaxError(f"unexpected {self.toks[self.i][1]!r} in {self.text!r}")
        return node

    def expr(self) -> _Node:
        node = self.disjunction()
        if self.peek("?"):
            self.take("?")
            self.expr()
            self.take(":")
            last = self.expr()
            return _Node("other", node.start, last.end)
        return node

    def _chain(self, op: str, kind: str, sub) -> _Node:
        parts = [sub()]
        while self.peek(op):
            self.take(op)
            parts.append(sub())
        if len(parts) == 1:
            return parts[0]
        return _Node(kind, parts[0].start, parts[-1].end, args=tuple(parts))

    def disjunction(self) -> _Node:
        return self._chain("||", "or", self.conjunction)

    def conjunction(self) -> _Node:
        return self._chain("&&", "and", self.relation)

    def relation(self) -> _Node:
        left = self.arithmetic()
        for op in ("==", "!=", "<=", ">=", "<", ">", "in"):
            if self.peek(op):
                self.take(op)
                right = self.arithmetic()
                return _Node("rel", left.start, right.end, op, (left, right))
        return left

    def arithmetic(self) -> _Node:
        node = self.unary()
        while any(self.peek(op) for op in "+-*/%"):
            self.take()
            right = self.unary()
            node = _Node("other", node.start, right.end)
        return node

    def unary(self) -> _Node:
        if self.peek("!"):
            start = self.take("!")[2]
            inner = self.unary()
            return _Node("not", start, inner.end, args=(inner,))
        if self.peek("-"):
            start = self.take("-")[2]
            inner = self.unary()
            if inner.kind == "lit" and isinstance(inner.value, (int, float)):
                return _Node("lit", start, inner.end, -inner.value)
            return _Node("other", start, inner.end)
        return self.member()

    def _args(self, close: str) -> tuple[list[_Node], int]:
        args = []
        while not self.peek(close):
            args.append(self.expr())
            if not self.peek(close):
                self.take(",")
        end = self.take(close)[3]
        return args, end

    def member(self) -> _Node:
        node = self.primary()
        while self.peek(".") or self.peek("["):
            if self.peek("["):
                self.take("[")
                self.expr()
                end = self.take("]")[3]
                node = _Node("other", node.start, end)
                continue
            self.take(".")
            _, name, _, end = self.take()
            if self.peek("("):
                self.take("(")
                args, end = self._args(")")
                node = _Node("method", node.start, end, name, (node, *args))
            elif node.kind == "path":
                node = _Node("path", node.start, end, f"{node.value}.{name}")
            else:
                node = _Node("other", node.start, end)
        return node

    def primary(self) -> _Node:
        kind, tok, start, end = self.take()
        if kind == "str":
            return _Node("lit", start, end, _unquote(tok))
        if kind == "num":
            tok = tok.rstrip("u")
            return _Node("lit", start, end, float(tok) if any(c in tok for c in ".eE") else int(tok))
        if kind == "name":
            if tok in ("true", "false"):
                return _Node("lit", start, end, tok == "true")
            if tok == "null":
                return _Node("lit", start, end, None)
            if self.peek("("):
                self.take("(")
                args, end = self._args(")")
                return _Node("call", start, end, tok, tuple(args))
            return _Node("path", start, end, tok)
        if tok == "(":
            inner = self.expr()
            end = self.take(")")[3]
            return _Node(inner.kind, start, end, inner.value, inner.args)
        if tok == "[":
            items, end = self._args("]")
            return _Node("list", start, end, args=tuple(items))
        if tok == "{":
            self._args("}") if self.peek("}") else self._map()
            return _Node("other", start, self.toks[self.i - 1][3])
        raise ConditionSyntaxError(f"unexpected {tok!r} in {self.text!r}")

    def _map(self) -> None:
        while True:
            self.expr()
            self.take(":")
            self.expr()
            if self.peek("}"):
                self.take("}")
                return
            self.take(",")


def _unquote(token: str) -> str:
    body = token[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


# --- semantics: generic nodes → boolean tree of atoms ----------------------------------------------


_PATH_IN_TEXT = re.compile(
    r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""  # a string literal (skipped)
    r"""|(?<![\w.])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?!\w|\s*\()"""  # a dotted name that is not a call
)
_NOT_FACTS = {"true", "false", "null", "in"}


def text_paths(text: str) -> tuple[str, ...]:
    """Every fact path an expression reads (dotted names outside string literals, not function names)."""
    found = [m.group(2) for m in _PATH_IN_TEXT.finditer(text) if m.group(2) and m.group(2) not in _NOT_FACTS]
    return tuple(dict.fromkeys(found))


def _paths(node: _Node) -> tuple[str, ...]:
    found = [node.value] if node.kind == "path" else []
    for arg in node.args:
        if isinstance(arg, _Node):
            found.extend(_paths(arg))
    return tuple(dict.fromkeys(found))


def _subject(node: _Node) -> tuple[str, bool] | None:
    """The fact a comparison is about: a path, a cast of a path, or size(path) (flagged)."""
    if node.kind == "path":
        return node.value, False
    if node.kind == "call" and len(node.args) == 1 and node.args[0].kind == "path":
        if node.value in _CASTS:
            return node.args[0].value, False
        if node.value == "size":
            return node.args[0].value, True
    if node.kind == "method" and node.value in _CASTS and node.args[0].kind == "path":
        return node.args[0].value, False
    if node.kind == "method" and node.value == "size" and node.args[0].kind == "path":
        return node.args[0].value, True
    return None


def _value(node: _Node):
    if node.kind == "lit":
        return node.value
    if node.kind == "list" and all(a.kind == "lit" for a in node.args):
        return [a.value for a in node.args]
    subject = _subject(node)
    if subject and not subject[1]:
        return Ref(subject[0])
    raise LookupError


def _text_value(pattern: str) -> str:
    """`(?i)bounty` → `bounty`: the word a regex or substring test looks for."""
    return re.sub(r"^\(\?[a-z]+\)|[\^$\\]|\.\*", "", pattern).strip()


def _relation(node: _Node, text: str):
    left, right = node.args
    op = node.value
    paths = _paths(node)
    source = text[node.start : node.end]
    if op == "in":
        if left.kind == "lit" and _subject(right):
            return Atom(_subject(right)[0], "contains", left.value, source, paths)
        if _subject(left) and right.kind == "list":
            try:
                return Atom(_subject(left)[0], "in", _value(right), source, paths)
            except LookupError:
                return Opaque(source, text_paths(source))
        return Opaque(source, text_paths(source))
    if not _subject(left) and _subject(right):
        left, right, op = right, left, _FLIP[op]
    subject = _subject(left)
    if not subject:
        return Opaque(source, text_paths(source))
    fact, is_size = subject
    try:
        value = _value(right)
    except LookupError:
        return Opaque(source, text_paths(source))
    if is_size and (op, value) in ((">", 0), (">=", 1), ("!=", 0)):
        return Atom(fact, "exists", True, source, paths)
    if is_size and (op, value) in (("==", 0), ("<", 1), ("<=", 0)):
        return Atom(fact, "exists", False, source, paths)
    if not is_size and op in ("==", "!=") and value in ("", None):
        return Atom(fact, "exists", op == "!=", source, paths)
    return Atom(fact, op, value, source, paths)


def _tree(node: _Node, text: str):
    source = text[node.start : node.end]
    paths = _paths(node)
    match node.kind:
        case "or":
            return Or(tuple(_tree(a, text) for a in node.args))
        case "and":
            return And(tuple(_tree(a, text) for a in node.args))
        case "not":
            inner = _tree(node.args[0], text)
            return inner.negated() if isinstance(inner, Atom) else Not(inner)
        case "rel":
            return _relation(node, text)
        case "path":
            return Atom(node.value, "==", True, source, paths)
        case "lit" if isinstance(node.value, bool):
            return Opaque(source, ())
        case "call" if node.value == "has" and len(node.args) == 1 and node.args[0].kind == "path":
            return Atom(node.args[0].value, "exists", True, source, paths)
        case "method" if node.value in _TEXT_TESTS and len(node.args) == 2:
            target, arg = node.args
            if target.kind == "path" and arg.kind == "lit" and isinstance(arg.value, str):
                return Atom(target.value, "contains", _text_value(arg.value), source, paths)
        case "method" if node.value == "exists" and len(node.args) == 3 and node.args[0].kind == "path":
            target, var, body = node.args
            if body.kind == "rel" and body.value == "==" and var.kind == "path":
                sides = {body.args[0].kind: body.args[0], body.args[1].kind: body.args[1]}
                if "lit" in sides and "path" in sides and sides["path"].value == var.value:
                    return Atom(target.value, "contains", sides["lit"].value, source, (target.value,))
    return Opaque(source, text_paths(source))


def condition_tree(expression: str):
    """The boolean structure of a CEL condition; raises ConditionSyntaxError if it cannot be read."""
    return _tree(_Parser(expression).parse(), expression)


def atoms(tree) -> list[Atom]:
    match tree:
        case Atom():
            return [tree]
        case Not():
            return atoms(tree.inner)
        case And() | Or():
            return [a for part in tree.parts for a in atoms(part)]
    return []


def opaque_parts(tree) -> list[Opaque]:
    match tree:
        case Opaque():
            return [tree]
        case Not():
            return opaque_parts(tree.inner)
        case And() | Or():
            return [o for part in tree.parts for o in opaque_parts(part)]
    return []
