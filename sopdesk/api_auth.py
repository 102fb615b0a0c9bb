"""Who is calling the API, and what they may do.

People sign in (session, CSRF-protected); integrations send
`Authorization: Bearer sd_<prefix>_<secret>`. A token acts for the person who
created it, and may do something only if one of its scopes allows it AND that
person's role allows it — so a token is never more powerful than its creator.

Each API view declares `access = {action: Rule(...)}`; `RoleAccess` enforces it:

- Ops managers edit procedures and start runs (the Django permissions of their group);
- Reviewers claim and decide review items — the inbox's own rule (reviews.access),
  applied by reviews.services, so the API and the inbox pages agree (it lets Ops
  managers work the inbox too, and an item for a named role needs that group);
- integration tokens create cases and read results (their scopes);
- anonymous callers get 401 everywhere (webhooks are plain views outside the API).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from sopdesk.models import ApiToken
from sopdesk.tokens import token_find, token_touch


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer sd_<prefix>_<secret>`; records last use (at most once a minute)."""

    keyword = "bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Send exactly one token: 'Authorization: Bearer sd_<prefix>_<secret>'."
            )
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The token contains characters a token never has.") from None
        token = token_find(raw)
        if token is None or not token.created_by.is_active:
            # One message for every case: it must not tell a guesser which prefixes exist.
            raise exceptions.AuthenticationFailed("The token is unknown, revoked or expired.")
        token_touch(token=token)
        return token.created_by, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="sopdesk"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Documents the bearer token in the OpenAPI schema."""

    target_class = "sopdesk.api_auth.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "sd_<prefix>_<secret>",
            "description": "An API token created in the admin (API tokens → Add). Shown once; scoped; revocable.",
        }


@dataclass(frozen=True)
class Rule:
    """What an action needs: a token scope (when called with a token), and a Django permission of the person."""

    scope: str
    perm: str

    def allows(self, user, auth) -> bool:
        if isinstance(auth, ApiToken) and not auth.has_scope(self.scope):
            return False
        return user.has_perm(self.perm)


class RoleAccess(permissions.BasePermission):
    """Enforces the view's `access` mapping of action → Rule. Authenticated callers only."""

    message = "Your role (or this token's scopes) does not allow this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
            return False
        action = getattr(view, "action", None)
        if action in (None, "metadata"):
            return True  # an unsupported method: let the view answer 405
        rule = view.access.get(action)
        if rule is None:
            return False  # an action nobody declared is closed
        if not rule.allows(user, request.auth):
            self.message = _denied_message(rule, request.auth)
            return False
        return True


def _denied_message(rule: Rule, auth) -> str:
    if isinstance(auth, ApiToken) and not auth.has_scope(rule.scope):
        return f"This token lacks the scope '{rule.scope}'. Create a token with that scope in the admin."
    return f"Your role does not allow this (it needs the permission '{rule.perm}')."
