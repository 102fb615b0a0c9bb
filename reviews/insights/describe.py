"""Attributes and outcomes in words, for titles, tables and mail."""

from __future__ import annotations


def attribute_words(attribute: str) -> str:
    kind, _, value = attribute.partition(":")
    return {
        "tag": f"tagged {value}",
        "group": f"arriving in {value}",
        "priority": f"{value}-priority",
        "tier": f"{value.capitalize()}-plan",
        "org": f"from {value}",
        "source": f"from {value}",
        "field": f"with {value}",
        "word": f'mentioning "{value}"',
        "phrase": f'mentioning "{value}"',
    }.get(kind, attribute)


def outcome_words(outcome: str) -> str:
    kind, _, value = outcome.partition(":")
    if kind == "routed":
        return f"rerouted to {value} by people"
    if kind == "decided":
        step, _, chosen = value.partition("=")
        return f"decided “{chosen}” at {step}"
    if kind == "override":
        return f"decided against the agent's proposal at {value}"
    if kind == "held":
        return f"held for a person at {value}"
    if kind == "end":
        return f"ended {value}"
    if outcome == "sla:breached":
        return "breached their SLA"
    return outcome
