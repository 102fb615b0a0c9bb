"""Who a Zendesk ticket's `requester_id` and `organization_id` are, for tickets read from an export.

Zendesk exports carry ids, not e-mail addresses or names. They are resolved
first from the export's own sideloads (`users`, `organizations`, `groups`, as
`include=users,organizations` and the incremental export produce them), then,
for ids the export does not carry, through read-only Zendesk lookups (zenpy,
against the sandbox in sandbox mode). Every id is looked up at most once: the
answer, found or not, is cached.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

KINDS = ("users", "organizations", "groups")


def _key(value: Any) -> str:
    return "" if value in (None, "") else str(value).strip()


@dataclass
class Directory:
    sideloads: dict[str, dict[str, dict]] = field(default_factory=lambda: {kind: {} for kind in KINDS})
    lookup: bool = True  # ask Zendesk for ids the export does not carry
    resolved: Counter = field(default_factory=Counter)  # (kind, "export" | "zendesk" | "missing") → ids
    lookup_problem: str = ""  # why Zendesk could not be asked (not configured, unreachable)
    _cache: dict[tuple[str, str], dict | None] = field(default_factory=dict)

    def add_sideloads(self, data: dict) -> None:
        """Take the `users`/`organizations`/`groups` lists of one export page."""
        for kind in KINDS:
            for record in data.get(kind) or []:
                if isinstance(record, dict) and _key(record.get("id")):
                    self.sideloads[kind][_key(record["id"])] = record

    def user(self, user_id: Any) -> dict | None:
        return self._get("users", user_id)

    def organization(self, organization_id: Any) -> dict | None:
        return self._get("organizations", organization_id)

    def group(self, group_id: Any) -> dict | None:
        return self._get("groups", group_id)

    def _get(self, kind: str, record_id: Any) -> dict | None:
        key = _key(record_id)
        if not key:
            return None
        if (kind, key) in self._cache:
            return self._cache[(kind, key)]
        record = self.sideloads[kind].get(key)
        source = "export"
        if record is None:
            record, source = self._ask_zendesk(kind, key), "zendesk"
        self.resolved[(kind, source if record is not None else "missing")] += 1
        self._cache[(kind, key)] = record
        return record

    def _ask_zendesk(self, kind: str, key: str) -> dict | None:
        if not self.lookup or self.lookup_problem or not key.isdigit():
            return None
        from connectors.base import ConnectorError, NotConfigured, NotFound
        from connectors.zendesk import client

        reader = {
            "users": lambda z: z.users(id=int(key)),
            "organizations": lambda z: z.organizations(id=int(key)),
            "groups": lambda z: z.groups(id=int(key)),
        }[kind]
        try:
            found = client.call(reader)
        except NotFound:
            return None
        except NotConfigured as exc:
            self.lookup_problem = str(exc)
            return None
        except ConnectorError as exc:
            if getattr(exc, "status", None) == 404:
                return None
            self.lookup_problem = str(exc)
            return None
        return {name: getattr(found, name, None) for name in ("id", "name", "email", "organization_id")}

    def summary(self) -> list[str]:
        """One line per kind of record: how many ids came from the export, from Zendesk, or from nowhere."""
        lines = []
        for kind in ("users", "organizations"):
            export, zendesk, missing = (self.resolved[(kind, s)] for s in ("export", "zendesk", "missing"))
            if export or zendesk or missing:
                lines.append(
                    f"{kind.capitalize()}: {export} from the export, {zendesk} looked up in Zendesk, "
                    f"{missing} not found"
                )
        if self.lookup_problem:
            lines.append(f"Zendesk lookups stopped: {self.lookup_problem}")
        return lines
