"""The two declared tools of the billing/outage SOP (the demo's own definitions), stored for a test.

`declare(billing_url=..., outage_url=...)` stores them through the services,
as an ops manager would through the API. URLs point at a `ToolServer`.
"""

from __future__ import annotations

from connectors.declared import services
from connectors.declared.demo import BILLING_CREDIT, BILLING_OUTAGE_SOP, BILLING_STATUS, OUTAGE_CHECK

__all__ = ["BILLING_CREDIT", "BILLING_OUTAGE_SOP", "BILLING_STATUS", "OUTAGE_CHECK", "declare"]


def declare(*, billing_url: str, outage_url: str, with_mocks: bool = True) -> None:
    services.endpoint_save(name="billing", base_url=billing_url, auth="bearer", secret="billing-secret")
    services.endpoint_save(name="outage-detector", base_url=outage_url)
    for data, endpoint in ((BILLING_STATUS, "billing"), (BILLING_CREDIT, "billing"), (OUTAGE_CHECK, "outage-detector")):
        row = {**data, "endpoint": endpoint}
        if not with_mocks:
            row.pop("mocks")
        services.operation_save(data=row)
