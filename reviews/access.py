"""Who may use the inbox and who may decide what.

Reviewers and Ops managers work the inbox (superusers too). An item with a
`required_role` (an approval, a hand-off) may be decided only by members of
the group of that name — being a reviewer is not enough. Group names are read
once per request and kept on the user object, so a page costs one query for
them however many items it checks.
"""

from __future__ import annotations

from procedures.roles import OPS_MANAGERS, REVIEWERS

INBOX_ROLES = frozenset({REVIEWERS, OPS_MANAGERS})
_CACHE = "_sopdesk_group_names"


def group_names(user) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, _CACHE, None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        setattr(user, _CACHE, cached)
    return cached


def can_use_inbox(user) -> bool:
    return bool(getattr(user, "is_active", False)) and (user.is_superuser or bool(group_names(user) & INBOX_ROLES))


def is_ops_manager(user) -> bool:
    return bool(getattr(user, "is_active", False)) and (user.is_superuser or OPS_MANAGERS in group_names(user))


def can_decide(user, item) -> bool:
    """May `user` decide `item`? Inbox users may; an item for a named role needs that group."""
    if not can_use_inbox(user):
        return False
    if item.required_role:
        return user.is_superuser or item.required_role in group_names(user)
    return True
