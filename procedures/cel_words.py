"""CEL conditions and `{{ … }}` templates in plain English, for the step read-back.

`condition_words("account.plan == 'Enterprise'")` → "the account plan is Enterprise".
Only the shapes compiled SOPs use are put into words (comparisons, `in`, `&&`,
`||`, `!`, tag tests, `has()`, `exists()`, `size()`, the ternary); anything else
is quoted as written, so a read-back never claims more than the expression says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

# Names people use for the facts every case carries (see cases/casefacts.py).
CASE_WORDS = {
    "subject": "the ticket subject",
    "description": "the ticket description",
    "url": "the ticket link",
    "ticket_id": "the ticket",
    "tags": "the ticket's tags",
    "requester_email": "the requester's email",
    "requester_name": "the requester's name",
    "organization": "the requester's organization",
    "amount": "the amount",
    "attachments": "the attachments",
    "priority": "the ticket priority",
    "group": "the ticket group",
    "tier": "the support tier",
    "status": "the case status",
    "assignee_email": "the assignee's email",
    "source": "the case source",
    "id": "the case number",
}
_IT = "\x00it"  # stands for the bound variable of a macro such as exists(a, a.kind == "photo")
# `save_as` names the compilers give to what an operation returned.
ROOT_WORDS = {"jira": "Jira issue", "opportunity": "opportunity", "event": "event"}

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>\d+(?:\.\d+)?)
    | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op>&&|\|\||==|!=|<=|>=|[-+*/%<>!?:.,()\[\]{}])
    )""",
    re.VERBOSE,
)


class Unreadable(ValueError):
    """The expression uses a shape this module does not put into words."""


@dataclass(frozen=True)
class Node:
    kind: str  # lit, path, call, method, list, map, unary, binary, ternary, index
    value: object = None
    args: tuple = ()
    text: str = ""  # the expression as written, for quoting


def _tokens(expr: str) -> list[tuple[str, str, int, int]]:
    out, pos = [], 0
    while pos < len(expr):
        if expr[pos:].strip() == "":
            break
        match = _TOKEN.match(expr, pos)
        if not match or match.end() == pos:
            raise Unreadable(expr)
        kind = match.lastgroup
        out.append((kind, match.group(kind), match.start(kind), match.end()))
        pos = match.end()
    return out


_BINARY = {
    "||": 1,
    "&&": 2,
    "==": 3,
    "!=": 3,
    "<": 3,
    "<=": 3,
    ">": 3,
    ">=": 3,
    "in": 3,
    "+": 4,
    "-": 4,
    "*": 5,
    "/": 5,
    "%": 5,
}


class _Parser:
    def __init__(self, expr: str):
        self.expr, self.toks, self.i = expr, _tokens(expr), 0

    def peek(self) -> str | None:
        return self.toks[self.i][1] if self.i < len(self.toks) else None

    def take(self, want: str | None = None) -> tuple[str, str, int, int]:
        if self.i >= len(self.toks) or (want is not None and self.toks[self.i][1] != want):
            raise Unreadable(self.expr)
        self.i += 1
        return self.toks[self.i - 1]

    def start(self) -> int:
        return self.toks[self.i][2] if self.i < len(self.toks) else len(self.expr)

    def end(self) -> int:
        return self.toks[self.i - 1][3]

    def node(self, kind: str, begin: int, value=None, args=()) -> Node:
        return Node(kind, value, tuple(args), self.expr[begin : self.end()].strip())

    def parse(self) -> Node:
        node = self.ternary()
        if self.i != len(self.toks):
            raise Unreadable(self.expr)
        return node

    def ternary(self) -> Node:
        begin = self.start()
        cond = self.binary(1)
        if self.peek() != "?":
            return cond
        self.take("?")
        yes = self.ternary()
        self.take(":")
        no = self.ternary()
        return self.node("ternary", begin, args=(cond, yes, no))

    def binary(self, level: int) -> Node:
        begin = self.start()
        left = self.unary()
        while (op := self.peek()) in _BINARY and _BINARY[op] >= level:
            self.take()
            right = self.binary(_BINARY[op] + 1)
            left = self.node("binary", begin, op, (left, right))
        return left

    def unary(self) -> Node:
        begin = self.start()
        if self.peek() in ("!", "-"):
            op = self.take()[1]
            return self.node("unary", begin, op, (self.unary(),))
        return self.postfix(self.primary(), begin)

    def postfix(self, node: Node, begin: int) -> Node:
        while self.peek() in (".", "["):
            if self.take()[1] == ".":
                name = self.take()[1]
                if self.peek() == "(":
                    node = self.node("method", begin, name, (node, *self.arguments()))
                elif node.kind == "path":
                    node = self.node("path", begin, (*node.value, name))
                else:
                    node = self.node("index", begin, name, (node,))
            else:
                key = self.ternary()
                self.take("]")
                if node.kind == "path" and key.kind == "lit" and isinstance(key.value, str):
                    node = self.node("path", begin, (*node.value, key.value))
                else:
                    node = self.node("index", begin, None, (node, key))
        return node

    def arguments(self) -> list[Node]:
        self.take("(")
        args = []
        while self.peek() != ")":
            args.append(self.ternary())
            if self.peek() == ",":
                self.take(",")
        self.take(")")
        return args

    def primary(self) -> Node:
        begin = self.start()
        kind, text, _, _ = self.take()
        if kind == "num":
            return self.node("lit", begin, float(text) if "." in text else int(text))
        if kind == "str":
            return self.node("lit", begin, bytes(text[1:-1], "utf-8").decode("unicode_escape"))
        if kind == "name":
            if text in ("true", "false", "null"):
                return self.node("lit", begin, {"true": True, "false": False, "null": None}[text])
            if self.peek() == "(":
                return self.node("call", begin, text, self.arguments())
            return self.node("path", begin, (text,))
        if text == "(":
            inner = self.ternary()
            self.take(")")
            return inner
        if text == "[":
            items = []
            while self.peek() != "]":
                items.append(self.ternary())
                if self.peek() == ",":
                    self.take(",")
            self.take("]")
            return self.node("list", begin, args=items)
        if text == "{":
            pairs = []
            while self.peek() != "}":
                key = self.ternary()
                self.take(":")
                pairs.append((key, self.ternary()))
                if self.peek() == ",":
                    self.take(",")
            self.take("}")
            return self.node("map", begin, args=pairs)
        raise Unreadable(self.expr)


def parse(expr: str) -> Node:
    return _Parser(expr).parse()


# --- Words -------------------------------------------------------------------------------


def path_words(parts: tuple[str, ...]) -> str:
    """`account.plan` → "the account plan"; `case.url` → "the ticket link"; `case.fields.x` → "the x field"."""
    root, rest = parts[0], list(parts[1:])
    if root == _IT:  # the variable of exists()/filter(): "its kind", or "it"
        return " ".join(p.replace("_", " ") for p in rest) if rest else "it"
    if root == "case":
        if not rest:
            return "the case"
        if rest[0] == "fields" and len(rest) > 1:
            return f"the {' '.join(p.replace('_', ' ') for p in rest[1:])} field"
        if len(rest) == 1 and rest[0] in CASE_WORDS:
            return CASE_WORDS[rest[0]]
        return "the " + " ".join(p.replace("_", " ") for p in rest)
    if rest and rest[0].startswith(root + "_"):  # claim.claim_id → "the claim id"
        rest[0] = rest[0][len(root) + 1 :]
    head = ROOT_WORDS.get(root, root.replace("_", " "))
    return "the " + " ".join([head, *(p.replace("_", " ") for p in rest)])


def value_words(node: Node) -> str:
    """A value as a person names it: literals plainly, facts by name, the rest quoted."""
    match node.kind:
        case "lit":
            if isinstance(node.value, bool):
                return "yes" if node.value else "no"
            if node.value is None:
                return "nothing"
            if isinstance(node.value, float) and node.value.is_integer():
                return f"{int(node.value):,}"
            if isinstance(node.value, int):
                return f"{node.value:,}"
            return str(node.value)
        case "path":
            return path_words(node.value)
        case "list":
            return _join([value_words(item) for item in node.args], "and") if node.args else "nothing"
        case "call" if node.value in ("int", "double", "string") and len(node.args) == 1:
            return value_words(node.args[0])
        case "call" if node.value == "size" and len(node.args) == 1:
            return f"the number of {_plural(value_words(node.args[0]))}"
        case "method" if node.value == "size" and len(node.args) == 1:
            return f"the number of {_plural(value_words(node.args[0]))}"
        case "ternary":
            cond, yes, no = node.args
            return f"{value_words(yes)} if {_cond(cond)}, else {value_words(no)}"
        case "map":
            return _join([f"{value_words(k)} to {value_words(v)}" for k, v in node.args], "and")
        case "binary" if node.value in _ARITHMETIC:
            left, right = node.args
            return f"{value_words(left)} {_ARITHMETIC[node.value]} {value_words(right)}"
        case "method" if node.value == "filter" and _is_macro(node):
            target, var, pred = node.args
            return f"{value_words(target)} whose {_cond(_bind(pred, var.value[0]))}"
        case "method" if node.value == "map" and _is_macro(node):
            target, var, projection = node.args
            return f"the {value_words(_bind(projection, var.value[0]))} of {_plural(value_words(target))}"
    return _quote(node.text)


def _plural(words: str) -> str:
    return words[4:] if words.startswith("the ") else words


def _quote(text: str) -> str:
    return f"‘{text}’"


def _join(items: list[str], word: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


_COMPARE = {
    "==": "is",
    "!=": "is not",
    "<": "is less than",
    "<=": "is at most",
    ">": "is more than",
    ">=": "is at least",
}
_ARITHMETIC = {"+": "plus", "-": "minus", "*": "times", "/": "divided by", "%": "modulo"}
_NEGATE = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


def _is_empty_text(node: Node) -> bool:
    return node.kind == "lit" and node.value == ""


def _cond(node: Node, negated: bool = False) -> str:
    match node.kind:
        case "binary" if node.value in ("&&", "||"):
            word = {"&&": "and", "||": "or"}[node.value]
            if negated:  # De Morgan: not (a and b) = not a or not b
                word = "or" if word == "and" else "and"
            parts = [_cond(arg, negated) for arg in _flatten(node, node.value)]
            return _join(parts, word)
        case "binary" if node.value in _COMPARE:
            left, right = node.args
            op = _NEGATE[node.value] if negated else node.value
            if _is_empty_text(right):
                return f"{value_words(left)} is {'empty' if op == '==' else 'not empty'}" if op in ("==", "!=") else ""
            return f"{value_words(left)} {_COMPARE[op]} {value_words(right)}"
        case "binary" if node.value == "in":
            item, collection = node.args
            if collection.kind == "path" and collection.value[-1] == "tags":
                owner = "the ticket" if collection.value == ("case", "tags") else value_words(collection)
                return f"{owner} is {'not ' if negated else ''}tagged {value_words(item)}"
            if collection.kind == "list":
                return f"{value_words(item)} is {'not ' if negated else ''}one of {_join([value_words(a) for a in collection.args], 'or')}"
            return f"{value_words(collection)} {'do not ' if negated else ''}include {value_words(item)}"
        case "unary" if node.value == "!":
            return _cond(node.args[0], not negated)
        case "call" if node.value == "has" and len(node.args) == 1:
            return f"{value_words(node.args[0])} is {'not ' if negated else ''}known"
        case "method" if node.value in ("exists", "all") and _is_macro(node):
            target, var, pred = node.args
            inner = _cond(_bind(pred, var.value[0]))
            if node.value == "exists":
                return f"{value_words(target)} include {'none' if negated else 'one'} whose {inner}"
            return f"{'not ' if negated else ''}every one of {value_words(target)} passes: {inner}"
        case "path":
            return f"{value_words(node)} is {'not ' if negated else ''}set"
        case "lit" if isinstance(node.value, bool):
            return "always" if node.value != negated else "never"
    text = _quote(node.text)
    return f"{text} does not hold" if negated else f"{text} holds"


def _is_macro(node: Node) -> bool:
    return len(node.args) == 3 and node.args[1].kind == "path" and len(node.args[1].value) == 1


def _bind(node: Node, var: str) -> Node:
    """The macro body with its variable marked, so `a.kind` reads "kind" rather than "the a kind"."""
    if node.kind == "path" and node.value[0] == var:
        return replace(node, value=(_IT, *node.value[1:]))
    args = tuple(
        tuple(_bind(x, var) for x in a) if isinstance(a, tuple) else _bind(a, var) if isinstance(a, Node) else a
        for a in node.args
    )
    return replace(node, args=args)


def _flatten(node: Node, op: str) -> list[Node]:
    if node.kind == "binary" and node.value == op:
        return [part for arg in node.args for part in _flatten(arg, op)]
    return [node]


def condition_words(expr: str, *, negated: bool = False) -> str:
    """A CEL condition in English (negated when asked); the expression quoted when it cannot be read."""
    try:
        words = _cond(parse(expr), negated)
    except (Unreadable, UnicodeDecodeError, IndexError):
        words = ""
    if not words:
        return f"{_quote(expr)} does not hold" if negated else f"{_quote(expr)} holds"
    return words


_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


def expression_words(expr: str) -> str:
    try:
        return value_words(parse(expr))
    except (Unreadable, UnicodeDecodeError, IndexError):
        return _quote(expr.strip())


def template_words(template: str) -> str:
    """A parameter as words: a literal as written, `{{ case.url }}` as "the ticket link",
    mixed text with each placeholder named in brackets."""
    if not isinstance(template, str):
        return str(template)
    whole = _PLACEHOLDER.fullmatch(template.strip())
    if whole:
        return expression_words(whole.group(1).strip())
    return _PLACEHOLDER.sub(lambda m: f"[{expression_words(m.group(1).strip())}]", template)


def template_facts(template: str) -> list[str]:
    """The facts a template puts in, named in words, in order and without repeats."""
    if not isinstance(template, str):
        return []
    seen: list[str] = []
    for match in _PLACEHOLDER.finditer(template):
        words = expression_words(match.group(1).strip())
        if words not in seen:
            seen.append(words)
    return seen


def has_placeholders(template) -> bool:
    return isinstance(template, str) and bool(_PLACEHOLDER.search(template))
