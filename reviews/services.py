"""Writes from the inbox: claim, unclaim, decide.

Claiming is a compare-and-set (`UPDATE … WHERE assignee IS NULL`), so two
reviewers pressing `c` on the same item at the same moment cannot both own
it. Deciding checks what the engine cannot know (who the person is, whether
the item is theirs to decide, which parameters the SOP leaves open), then
hands the decision to the engine's `hold_resolve`, which resumes the run
through django-q2, and stores it as a precedent (`Decision`).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from cases import clock
from cases.models import Decision, ReviewItem
from cases.precedents import decision_record
from cases.services import RunError, hold_resolve
from reviews.access import can_decide, can_use_inbox, is_ops_manager
from reviews.selectors import outcome_choices

__all__ = ["ReviewError", "outcome_choices", "review_claim", "review_decide", "review_unclaim"]


class ReviewError(Exception):
    """A decision or claim that cannot be made; `message` tells the reviewer what to do instead."""

    def __init__(self, code: str, message: str, *, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def _item(item_id: int) -> ReviewItem:
    item = ReviewItem.objects.select_related("assignee").filter(id=item_id).first()
    if item is None:
        raise ReviewError("not_found", "This review item does not exist (any more).", status=404)
    return item


def review_claim(*, item_id: int, user: Any) -> ReviewItem:
    """Make `user` the item's assignee, unless someone else holds it or it is decided."""
    if not can_use_inbox(user):
        raise ReviewError("forbidden", "Only Reviewers and Ops managers can claim review items.", status=403)
    claimed = ReviewItem.objects.filter(id=item_id, status=ReviewItem.Status.OPEN, assignee__isnull=True).update(
        assignee=user, claimed_at=clock.now()
    )
    item = _item(item_id)
    if not claimed and item.assignee_id != user.id:
        if item.status != ReviewItem.Status.OPEN:
            raise ReviewError("decided", "This item has already been decided.", status=409)
        raise ReviewError("claimed", f"{item.assignee.get_username()} has already claimed this item.", status=409)
    return item


def review_unclaim(*, item_id: int, user: Any) -> ReviewItem:
    """Give the item back to the queue. Its assignee may; an ops manager may release anyone's claim."""
    if not can_use_inbox(user):
        raise ReviewError("forbidden", "Only Reviewers and Ops managers can release review items.", status=403)
    items = ReviewItem.objects.filter(id=item_id, status=ReviewItem.Status.OPEN)
    if not is_ops_manager(user):
        items = items.filter(assignee=user)
    released = items.update(assignee=None, claimed_at=None)
    item = _item(item_id)
    if not released and item.assignee_id is not None:
        raise ReviewError("not_yours", "Only its assignee or an ops manager can release this item.", status=403)
    return item


def review_decide(*, item_id: int, user: Any, outcome: str, params: dict | None = None, note: str = "") -> ReviewItem:
    """Decide a hold: check the person and the decision, resume the run, store the precedent.

    The run resumes through django-q2 once this transaction commits
    (`hold_resolve` enqueues on commit), never inside the request.
    """
    item = _item(item_id)
    if not can_decide(user, item):
        role = f" only by {item.required_role}" if item.required_role else " only by Reviewers and Ops managers"
        raise ReviewError("forbidden", f"This item can be decided{role}.", status=403)
    if item.status != ReviewItem.Status.OPEN:
        raise ReviewError("decided", "This item has already been decided.", status=409)
    if item.assignee_id and item.assignee_id != user.id and not is_ops_manager(user):
        raise ReviewError("claimed", f"{item.assignee.get_username()} has claimed this item.", status=409)
    choices = {c["key"]: c for c in outcome_choices(item)}
    if outcome not in choices:
        raise ReviewError("outcome", f"Choose one of the outcomes the SOP allows: {', '.join(choices)}.")
    params = {k: v for k, v in (params or {}).items() if v not in (None, "", {})}
    fixed = sorted(set(params) - set(choices[outcome]["params"]))
    if fixed:
        raise ReviewError("params", f"The SOP fixes {', '.join(fixed)} for {choices[outcome]['label']!r}.")
    with transaction.atomic():
        try:
            item = hold_resolve(item=item, outcome=outcome, params=params, user=user, note=note.strip())
        except RunError as exc:
            raise ReviewError(getattr(exc, "code", "run_error"), str(exc), status=409) from exc
        decision_record(item=item, source=Decision.Source.REVIEWER)
    return item
