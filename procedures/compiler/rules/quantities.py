"""Money amounts, durations and follow-up schedules as people write them."""

from __future__ import annotations

import re

from procedures.steps import Duration

_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "a": 1,
    "an": 1,
}
NUMBER = r"(?:\d+(?:[.,]\d+)*|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_UNIT = r"(?P<business>business\s+|working\s+)?(?P<unit>min(?:ute)?s?|h(?:ou)?rs?|hours?|days?|weeks?|months?|yrs?|years?)\b"
DURATION = re.compile(rf"\b(?P<n>{NUMBER})\s*{_UNIT}", re.IGNORECASE)
MONEY = re.compile(r"(?:\$|€|£|USD\s?|EUR\s?)\s?(?P<n>\d[\d,]*(?:\.\d+)?)\s*(?P<k>[kK]\b)?")
# "at 7, 14 and 30 days", "at 14 and at 30 days"
SCHEDULE = re.compile(
    rf"\b(?:at|after|on)\s+(?P<list>{NUMBER}(?:\s*(?:,|and|,\s*and)\s*(?:at\s+)?{NUMBER})+)\s*{_UNIT}", re.IGNORECASE
)


def number(text: str) -> float:
    text = text.strip().lower()
    if text in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[text])
    return float(text.replace(",", ""))


def money(text: str) -> float | None:
    """The first money amount in `text` ("$5,000" → 5000.0), or None."""
    match = MONEY.search(text)
    if not match:
        return None
    value = float(match.group("n").replace(",", ""))
    return value * 1000 if match.group("k") else value


def _duration(n: float, unit: str, business: bool) -> Duration:
    unit = unit.lower()
    n_int = int(n)
    if unit.startswith("min"):
        return Duration(minutes=n_int, business=business)
    if unit.startswith("h"):
        return Duration(hours=n_int, business=business)
    if unit.startswith("week"):
        return Duration(days=7 * n_int, business=business)
    if unit.startswith("month"):
        return Duration(days=30 * n_int, business=business)
    if unit.startswith("y"):
        return Duration(days=365 * n_int, business=business)
    return Duration(days=n_int, business=business)


def duration(text: str) -> Duration | None:
    """The first duration in `text` ("8 business hours" → Duration(hours=8, business=True)), or None."""
    match = DURATION.search(text)
    if not match:
        return None
    return _duration(number(match.group("n")), match.group("unit"), bool(match.group("business")))


def durations(text: str) -> list[Duration]:
    """Every duration in `text`, a schedule's list ("at 14 and at 30 days") expanded."""
    found: list[tuple[int, Duration]] = []
    taken: list[tuple[int, int]] = []
    for match in SCHEDULE.finditer(text):
        business = bool(match.group("business"))
        for n in re.findall(rf"\b{NUMBER}\b", match.group("list"), re.IGNORECASE):
            found.append((match.start(), _duration(number(n), match.group("unit"), business)))
        taken.append(match.span())
    for match in DURATION.finditer(text):
        if any(a <= match.start() < b for a, b in taken):
            continue
        found.append(
            (match.start(), _duration(number(match.group("n")), match.group("unit"), bool(match.group("business"))))
        )
    return [d for _, d in sorted(found, key=lambda pair: pair[0])]


def seconds(d: Duration) -> int:
    return d.total_seconds()
