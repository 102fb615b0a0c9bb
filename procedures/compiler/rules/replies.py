"""The words of a ticket reply, written to the customer from what the SOP says to tell them.

The SOP speaks about the customer ("reply that their tickets stay valid", "tell them to visit a store", "reply
asking for the certificate"); the reply speaks to them ("Your tickets stay valid …", "Please visit a store …",
"Could you please send us the certificate?"). When the SOP names only what to send ("reply with the quote"), the
reply cannot be written from the text: the body says what it is about and a note asks a person to add it.
"""

from __future__ import annotations

import re

_TO_THEM = {
    "they": "you",
    "them": "you",
    "their": "your",
    "theirs": "yours",
    "themselves": "yourself",
    "themself": "yourself",
    "they're": "you're",
    "they've": "you've",
    "they'll": "you'll",
    "they'd": "you'd",
}
_CUE = r"(?:that|saying|asking|telling|explaining|confirming|thanking|acknowledging|with|w/)"
_LEAD = re.compile(
    rf"^(?:(?:reply|respond|write back)(?:\s+(?:publicly|on the ticket|to\s+(?:the\s+)?[\w' -]+?))??"
    rf"(?:\s+within\s+\d+\s+\w+)?\s*,?\s*(?={_CUE}\b|w/)"
    r"|(?:tell|let|inform|remind|warn)\s+(?:them|him|her|the\s+[\w' -]+?)(?:\s+know)?\s+(?=that\b|to\b|about\b|\w))",
    re.I,
)


def to_customer(text: str) -> str:
    """Reported speech turned to the person it is said to: "their tickets stay valid and that they can …" →
    "Your tickets stay valid and you can …"."""
    text = re.sub(r"\s+", " ", text).strip(" .;,")
    text = re.sub(r"\b(and|but)\s+that\s+", r"\1 ", text, flags=re.I)
    text = re.sub(
        r"\b(?:they(?:'re|'ve|'ll|'d)?|them(?:selves|self)?|theirs?)\b",
        lambda m: _TO_THEM.get(m.group(0).lower(), m.group(0)),
        text,
        flags=re.I,
    )
    text = re.sub(
        r"\byou (is|was|has)\b", lambda m: "you " + {"is": "are", "was": "were", "has": "have"}[m.group(1)], text
    )
    return text[:1].upper() + text[1:] + "."


def _lower(text: str) -> str:
    text = to_customer(text).rstrip(".")
    return text[:1].lower() + text[1:]


def body_from(text: str) -> tuple[str, str | None] | None:
    """(body, note) for a reply sentence that says what to tell the customer; None when it says nothing."""
    text = re.sub(r"\s+", " ", text).strip(" .;,")
    lead = _LEAD.match(text)
    if not lead or not lead.group(0):
        return None
    said, told = text[lead.end() :], not re.match(r"(?:reply|respond|write)", text, re.I)
    person = r"(?:(?:them|him|her|the\s+[\w' -]+?)\s+)?"
    if ask := re.match(rf"(?:asking|and ask)\s+{person}(for|whether|if|to)\s+(.+)$", said, re.I):
        what = _lower(ask.group(2))
        if re.fullmatch(r"it|them|this|that|these|those", what, re.I):
            return None  # "reply asking for it": what "it" is, the sentence before says
        word = ask.group(1).lower()
        if word == "for":
            return f"Could you please send us {what}?", None
        return (f"Could you please {what}?", None) if word == "to" else (f"Could you let us know {word} {what}?", None)
    if order := re.match(rf"(?:telling\s+{person})?to\s+(.+)$", said, re.I):
        if told or said.lower().startswith("telling"):  # "tell them to visit a store": asked of them
            return f"Please {_lower(order.group(1))}.", None
        return None  # "reply to the customer to confirm …": why we reply, not what we say
    if speech := re.match(rf"(?:(?:saying|explaining|confirming|telling\s+{person})\s+)?that\s+(.+)$", said, re.I):
        return to_customer(speech.group(1)), None
    if speech := re.match(r"(?:saying|telling\s+(?:them|him|her)|about)\s+(.+)$", said, re.I):
        return to_customer(speech.group(1)), None
    if told:
        return to_customer(said), None  # "tell them it takes 5 days"
    if thanks := re.match(
        r"thanking\s+\w+(?:\s+for\s+(.+?))?(?:\s+and\s+(?:saying|telling\s+\w+)\s+(.+))?$", said, re.I
    ):
        more = " " + to_customer(re.sub(r"^that\s+", "", thanks.group(2))) if thanks.group(2) else ""
        return f"Thank you for {_lower(thanks.group(1)) if thanks.group(1) else 'getting in touch'}.{more}", None
    if confirm := re.match(r"confirming\s+(.+)$", said, re.I):
        return f"We confirm {_lower(confirm.group(1))}.", None
    if got := re.match(r"acknowledging\s+(.+?)(?:\s+and\s+(.+))?$", said, re.I):
        return f"We have received {_lower(got.group(1))}.", _note(got.group(2)) if got.group(2) else None
    thing = re.match(r"(?:with|w/|explaining)\s+(.+)$", said, re.I)
    if thing:  # "reply with the quote": the SOP names what to send, not its words
        what = _lower(re.split(r"\.\s", thing.group(1))[0])
        verb = "an explanation of " if said.lower().startswith("explaining") else ""
        return f"About your request “{{{{ case.subject }}}}”: we are sending you {verb}{what}.", _note(verb + what)
    return None


def _note(what: str) -> str:
    return f"The reply should give {_lower(what)}, which the SOP does not write out: write it into the reply."
