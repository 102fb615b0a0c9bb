"""Template context every page gets: the viewer's role, from the group names read once per request."""

from __future__ import annotations


def roles(request) -> dict:
    from reviews.access import can_use_inbox, is_ops_manager

    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"is_ops_manager": is_ops_manager(user), "can_use_inbox": can_use_inbox(user)}
