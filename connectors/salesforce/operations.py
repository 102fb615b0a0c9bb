"""Salesforce operations (see the registry): account and opportunity reads, record updates, notes.

Accounts are matched by the requester's email domain (`Domain__c`), by name,
or by id; custom fields follow the sandbox org: `Plan__c`, `Risk_Flag__c`,
`Risk_Score__c`, and `SopdeskKey__c` (an External ID on Task) for idempotent notes.
"""

from __future__ import annotations

from typing import Any

from connectors import idempotency, retry
from connectors.base import Ambiguous, NotFound, PermanentError
from connectors.salesforce import client
from connectors.salesforce.soql import escape

ACCOUNT_FIELDS = "Id, Name, Plan__c, Owner.Email, Owner.Name, Risk_Flag__c"


def _account_facts(record: dict[str, Any], match_count: int) -> dict[str, Any]:
    owner = record.get("Owner") or {}
    return {
        "id": record["Id"],
        "name": record.get("Name") or "",
        "plan": record.get("Plan__c") or "",
        "owner_email": owner.get("Email") or "",
        "owner_name": owner.get("Name") or "",
        "risk_flag": bool(record.get("Risk_Flag__c")),
        "match_count": match_count,
    }


def query_account(params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    """One account by id, email domain or name; NotFound for none, Ambiguous (with candidates) for several."""
    if params.get("account_id"):
        where = f"Id = {escape(str(params['account_id']))}"
    elif params.get("email"):
        domain = str(params["email"]).rsplit("@", 1)[-1].strip().lower()
        if not domain or "@" not in str(params["email"]):
            raise PermanentError(f"not an email address: {params['email']!r}", system=client.SYSTEM)
        where = f"Domain__c = {escape(domain)}"
    elif params.get("organization"):
        where = f"Name = {escape(str(params['organization']))}"
    else:
        raise PermanentError("query_account needs email, organization or account_id", system=client.SYSTEM)
    soql = f"SELECT {ACCOUNT_FIELDS} FROM Account WHERE {where} ORDER BY Name LIMIT 10"
    records = client.call(lambda sf: sf.query(soql))["records"]
    if not records:
        raise NotFound(f"no Salesforce account where {where}", system=client.SYSTEM)
    if len(records) > 1:
        candidates = [_account_facts(r, len(records)) for r in records]
        names = ", ".join(c["name"] for c in candidates)
        raise Ambiguous(
            f"{len(records)} Salesforce accounts match ({names})", system=client.SYSTEM, candidates=candidates
        )
    return _account_facts(records[0], 1)


def query_open_opportunity(params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    """The account's most recent opportunity that is not closed; NotFound when there is none."""
    soql = (
        "SELECT Id, Name, StageName, Risk_Score__c, Amount FROM Opportunity "
        f"WHERE AccountId = {escape(str(params['account_id']))} AND IsClosed = false "
        "ORDER BY CreatedDate DESC LIMIT 1"
    )
    records = client.call(lambda sf: sf.query(soql))["records"]
    if not records:
        raise NotFound(f"no open opportunity on account {params['account_id']}", system=client.SYSTEM)
    record = records[0]
    score = record.get("Risk_Score__c")
    return {
        "id": record["Id"],
        "name": record.get("Name") or "",
        "stage": record.get("StageName") or "",
        "risk_score": int(score) if score is not None else 0,
        "amount": float(record.get("Amount") or 0),
    }


def update_record(params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    """PATCH the fields; setting the same values twice leaves one state, so a plain retry is safe."""
    sobject, record_id, fields = str(params["object"]), str(params["record_id"]), params["fields"]
    if not isinstance(fields, dict) or not fields:
        raise PermanentError("fields must be a non-empty mapping of field name to value", system=client.SYSTEM)
    client.call(lambda sf: getattr(sf, sobject).update(record_id, fields))
    return {"id": record_id, "updated": True}


def add_note(params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    """Upsert a completed Task on the account keyed by SopdeskKey__c, then read its id back."""
    key = idempotency.token(idempotency_key)
    fields = {
        "WhatId": str(params["account_id"]),
        "Subject": str(params["subject"])[:255],
        "Description": str(params["body"]),
        "Status": "Completed",
    }

    def attempt() -> dict[str, Any]:
        client.call(lambda sf: sf.Task.upsert(f"SopdeskKey__c/{key}", fields), retried=False)
        found = client.call(lambda sf: sf.query(f"SELECT Id FROM Task WHERE SopdeskKey__c = {escape(key)}"))
        return {"id": found["records"][0]["Id"]}

    return retry.run(attempt, classify=client.classify)
