"""Salesforce REST emulator: query, sobject get/create/update/upsert, limits.

Serves the paths simple-salesforce builds (shared/WIRE.md §2) under any API
version, with Salesforce's error shape `[{"errorCode","message","fields"}]`.
Auth is `Authorization: Bearer <session id>`; the sandbox session id is in
`connectors.config.SANDBOX_CREDENTIALS`. Objects and their fields are fixed
(`FIELDS`): an unknown field is a 400 INVALID_FIELD, as on a real org.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from connectors.config import SANDBOX_CREDENTIALS
from connectors.salesforce import soql
from connectors.sandbox import seed
from connectors.sandbox.server import Emulator, Request, Response

V = r"/services/data/v(?P<version>\d+\.\d)"
PREFIX = {"Account": "001", "Contact": "003", "User": "005", "Opportunity": "006", "Task": "00T", "Case": "500"}
FIELDS = {
    "User": {"Name", "Email"},
    "Account": {"Name", "Domain__c", "Website", "Plan__c", "OwnerId", "Risk_Flag__c", "Industry"},
    "Contact": {"FirstName", "LastName", "Email", "AccountId"},
    "Opportunity": {"Name", "AccountId", "StageName", "Amount", "Risk_Score__c", "IsClosed", "CloseDate"},
    "Task": {"Subject", "Description", "WhatId", "Status", "SopdeskKey__c"},
    "Case": {"Subject", "Description", "AccountId", "Status", "Priority"},
}
SYSTEM_FIELDS = {"Id", "CreatedDate", "LastModifiedDate"}
# Field types for describe (anything not listed is a string).
FIELD_TYPES = {
    "Plan__c": ("picklist", ["Free", "Pro", "Enterprise"]),
    "Industry": ("picklist", ["Retail", "Software", "Logistics", "Manufacturing"]),
    "Risk_Flag__c": ("boolean", []),
    "Amount": ("currency", []),
    "Risk_Score__c": ("double", []),
    "IsClosed": ("boolean", []),
    "CloseDate": ("date", []),
    "OwnerId": ("reference", []),
    "AccountId": ("reference", []),
    "WhatId": ("reference", []),
    "Email": ("email", []),
    "Website": ("url", []),
    "Description": ("textarea", []),
}
FIELD_LABELS = {"Plan__c": "Plan", "Risk_Flag__c": "Risk flag", "Risk_Score__c": "Risk score", "Domain__c": "Domain"}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


class SalesforceEmulator(Emulator):
    system = "salesforce"

    def seed(self) -> None:
        self.records: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in FIELDS}
        self._counter = itertools.count(1)
        for user in seed.SF_USERS:
            self.records["User"][user["Id"]] = {**user, "CreatedDate": _now(), "LastModifiedDate": _now()}
        for name, domain, plan, owner, risk, amount in seed.SF_ACCOUNTS:
            account_id = self.insert(
                "Account",
                {
                    "Name": name,
                    "Domain__c": domain,
                    "Website": f"https://{domain}",
                    "Plan__c": plan,
                    "OwnerId": owner,
                    "Risk_Flag__c": False,
                },
            )
            self.insert(
                "Opportunity",
                {
                    "Name": f"{name} renewal",
                    "AccountId": account_id,
                    "StageName": "Negotiation",
                    "Amount": amount,
                    "Risk_Score__c": risk,
                    "IsClosed": False,
                },
            )

    def insert(self, sobject: str, fields: dict[str, Any]) -> str:
        """Create a record directly (seed data, tests); returns its 18-character id."""
        record_id = f"{PREFIX[sobject]}{next(self._counter):012d}AAA"
        self.records[sobject][record_id] = {
            **fields,
            "Id": record_id,
            "CreatedDate": _now(),
            "LastModifiedDate": _now(),
        }
        return record_id

    def snapshot(self) -> dict[str, Any]:
        return {"records": self.records}

    def routes(self):
        return [
            ("GET", r"/services/data/?", self.versions),
            ("GET", V + r"/limits/?", self.limits),
            ("GET", V + r"/query/?", self.query),
            ("POST", V + r"/sobjects/(?P<sobject>\w+)/?", self.create),
            ("GET", V + r"/sobjects/(?P<sobject>\w+)/describe/?", self.describe),
            ("GET", V + r"/sobjects/(?P<sobject>\w+)/(?P<id>\w+)", self.get),
            ("PATCH", V + r"/sobjects/(?P<sobject>\w+)/(?P<id>\w+)", self.update),
            ("DELETE", V + r"/sobjects/(?P<sobject>\w+)/(?P<id>\w+)", self.delete),
            ("PATCH", V + r"/sobjects/(?P<sobject>\w+)/(?P<field>\w+)/(?P<value>[^/]+)", self.upsert),
        ]

    def authorized(self, request: Request) -> bool:
        expected = SANDBOX_CREDENTIALS["salesforce"]["session_id"]
        return request.headers.get("Authorization", "") == f"Bearer {expected}"

    def error_response(self, status: int, message: str) -> Response:
        code = {401: "INVALID_SESSION_ID", 404: "NOT_FOUND", 400: "MALFORMED_QUERY"}.get(status, "SERVER_UNAVAILABLE")
        if status == 429:
            code = "REQUEST_LIMIT_EXCEEDED"
        return Response(status, [{"message": message, "errorCode": code, "fields": []}])

    def _error(self, status: int, code: str, message: str, fields: list[str] | None = None) -> Response:
        return Response(status, [{"message": message, "errorCode": code, "fields": fields or []}])

    # --- handlers -----------------------------------------------------------------------
    def versions(self, request: Request) -> Response:
        return Response(200, [{"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"}])

    def limits(self, request: Request) -> Response:
        return Response(200, {"DailyApiRequests": {"Max": 15000, "Remaining": 15000 - self.requests}})

    def _attributes(self, sobject: str, record_id: str, version: str) -> dict[str, str]:
        return {"type": sobject, "url": f"/services/data/v{version}/sobjects/{sobject}/{record_id}"}

    def _resolve(self, record: dict[str, Any], field: str) -> Any:
        if "." not in field:
            return record.get(field)
        relation, rest = field.split(".", 1)
        related_id = record.get(f"{relation}Id") or (record.get("WhatId") if relation == "What" else None)
        related = self._find(related_id)
        return self._resolve(related[1], rest) if related else None

    def _find(self, record_id: str | None) -> tuple[str, dict[str, Any]] | None:
        for sobject, table in self.records.items():
            if record_id in table:
                return sobject, table[record_id]
        return None

    def query(self, request: Request) -> Response:
        try:
            parsed = soql.parse(request.arg("q") or "")
        except soql.MalformedQuery as exc:
            return self._error(400, "MALFORMED_QUERY", str(exc))
        if parsed.object not in self.records:
            return self._error(400, "INVALID_TYPE", f"sObject type '{parsed.object}' is not supported.")
        known = FIELDS[parsed.object] | SYSTEM_FIELDS
        for name in list(parsed.fields) + [c[0] for c in parsed.where]:
            if "." not in name and name not in known:
                return self._error(400, "INVALID_FIELD", f"No such column '{name}' on entity '{parsed.object}'.")
        rows = [
            r
            for r in self.records[parsed.object].values()
            if all(soql.matches(self._resolve(r, f), op, v) for f, op, v in parsed.where)
        ]
        if parsed.order:
            rows.sort(
                key=lambda r: (self._resolve(r, parsed.order) is None, self._resolve(r, parsed.order) or ""),
                reverse=parsed.descending,
            )
        if parsed.limit is not None:
            rows = rows[: parsed.limit]
        version = request.params["version"]
        out = [self._render(parsed.object, row, parsed.fields, version) for row in rows]
        return Response(200, {"totalSize": len(out), "done": True, "records": out})

    def _render(self, sobject: str, row: dict[str, Any], fields: tuple[str, ...], version: str) -> dict[str, Any]:
        record: dict[str, Any] = {"attributes": self._attributes(sobject, row["Id"], version)}
        for field in fields:
            if "." in field:
                relation, leaf = field.split(".", 1)
                found = self._find(row.get(f"{relation}Id"))
                if found is None:
                    record[relation] = None
                    continue
                nested = record.setdefault(
                    relation, {"attributes": self._attributes(found[0], found[1]["Id"], version)}
                )
                nested[leaf] = found[1].get(leaf)
            else:
                record[field] = row.get(field)
        return record

    def describe(self, request: Request) -> Response:
        sobject = request.params["sobject"]
        if sobject not in FIELDS:
            return self._error(404, "NOT_FOUND", f"The requested resource does not exist: sobject {sobject}")
        fields = []
        for name in ["Id", *sorted(FIELDS[sobject])]:
            kind, values = FIELD_TYPES.get(name, ("id" if name == "Id" else "string", []))
            label = FIELD_LABELS.get(name) or name.replace("__c", "").replace("_", " ")
            picklist = [{"value": v, "label": v, "active": True, "defaultValue": False} for v in values]
            fields.append(
                {"name": name, "label": label, "type": kind, "custom": name.endswith("__c"), "picklistValues": picklist}
            )
        return Response(200, {"name": sobject, "label": sobject, "custom": False, "fields": fields})

    def get(self, request: Request) -> Response:
        sobject, record_id = request.params["sobject"], request.params["id"]
        record = self.records.get(sobject, {}).get(record_id)
        if record is None:
            return self._error(404, "NOT_FOUND", "The requested resource does not exist")
        return Response(200, {"attributes": self._attributes(sobject, record_id, request.params["version"]), **record})

    def _invalid(self, sobject: str, fields: dict[str, Any]) -> Response | None:
        if sobject not in FIELDS:
            return self._error(404, "NOT_FOUND", f"The requested resource does not exist: sobject {sobject}")
        unknown = [name for name in fields if name not in FIELDS[sobject]]
        if unknown:
            return self._error(
                400, "INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type {sobject}", unknown
            )
        if sobject == "Opportunity" and "Risk_Score__c" in fields:
            score = fields["Risk_Score__c"]
            if not isinstance(score, int | float) or not 0 <= score <= 100:
                return self._error(
                    400, "FIELD_CUSTOM_VALIDATION_EXCEPTION", "Risk score must be between 0 and 100", ["Risk_Score__c"]
                )
        return None

    def create(self, request: Request) -> Response:
        sobject, fields = request.params["sobject"], request.json()
        problem = self._invalid(sobject, fields)
        if problem:
            return problem
        record_id = self.insert(sobject, fields)
        return Response(201, {"id": record_id, "success": True, "errors": []})

    def update(self, request: Request) -> Response:
        sobject, record_id, fields = request.params["sobject"], request.params["id"], request.json()
        problem = self._invalid(sobject, fields)
        if problem:
            return problem
        record = self.records[sobject].get(record_id)
        if record is None:
            return self._error(404, "NOT_FOUND", "The requested resource does not exist")
        record.update(fields, LastModifiedDate=_now())
        return Response(204)

    def delete(self, request: Request) -> Response:
        table = self.records.get(request.params["sobject"], {})
        if table.pop(request.params["id"], None) is None:
            return self._error(404, "NOT_FOUND", "The requested resource does not exist")
        return Response(204)

    def upsert(self, request: Request) -> Response:
        sobject, field, value = request.params["sobject"], request.params["field"], request.params["value"]
        fields = request.json()
        problem = self._invalid(sobject, {**fields, field: value})
        if problem:
            return problem
        found = [r for r in self.records[sobject].values() if r.get(field) == value]
        if len(found) > 1:
            return Response(
                300, [f"/services/data/v{request.params['version']}/sobjects/{sobject}/{r['Id']}" for r in found]
            )
        if found:
            found[0].update(fields, LastModifiedDate=_now())
            return Response(200, {"id": found[0]["Id"], "success": True, "errors": [], "created": False})
        record_id = self.insert(sobject, {**fields, field: value})
        return Response(201, {"id": record_id, "success": True, "errors": [], "created": True})
