"""The mining knobs, read from Django settings (which read the environment) when used."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class MiningConf:
    window_days: int
    min_support: int
    min_lift: float
    alpha: float
    evidence_cap: int
    replay_cases: int
    price_per_million: float  # blended model price per million tokens
    workers: int  # processes a full pass (the first, or a rebuild) spreads the extraction over


def mining_conf() -> MiningConf:
    return MiningConf(
        window_days=settings.SOPDESK_INSIGHTS_WINDOW_DAYS,
        min_support=settings.SOPDESK_INSIGHTS_MIN_SUPPORT,
        min_lift=settings.SOPDESK_INSIGHTS_MIN_LIFT,
        alpha=settings.SOPDESK_INSIGHTS_ALPHA,
        evidence_cap=500,
        replay_cases=settings.SOPDESK_INSIGHTS_REPLAY_CASES,
        price_per_million=settings.SOPDESK_MODEL_PRICE_PER_MILLION,
        workers=settings.SOPDESK_INSIGHTS_WORKERS,
    )
