"""API personas (anonymous, outsider, reviewer, ops manager, integration token, admin) and a small world."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from rest_framework.test import APIClient

from cases.engine import RunState
from cases.models import ReviewItem, Run
from procedures import services
from procedures.roles import role_sync
from procedures.steps import parse
from sopdesk.models import INTEGRATION_SCOPES, Scope
from sopdesk.tokens import token_issue
from tests.factories import CaseFactory, InboundEventFactory, ReviewItemFactory, RunFactory, UserFactory

SOP = """Refund requests

1. Reply to the customer that we received the request.
2. Close the ticket.
"""
SOP_V2 = """Refund requests

1. Reply to the customer that we received the request.
2. Add the tag refund-handled.
3. Close the ticket.
"""
SOP_V3 = """Refund requests

1. Add the tag refund-requested.
2. Reply to the customer that we received the request.
3. Close the ticket.
"""


@pytest.fixture(autouse=True)
def roles(db):
    """The role groups come from a data migration; a transactional test run earlier may have flushed them."""
    role_sync(group_model=Group, permission_model=Permission)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Throttle counters live in the cache; each test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin_user(db):
    return UserFactory(username="ada", is_staff=True, is_superuser=True)


@pytest.fixture
def integration_token(admin_user) -> str:
    """The token an integration uses: created by an admin with the default integration scopes."""
    _, raw = token_issue(name="Zendesk macro", scopes=[str(s) for s in INTEGRATION_SCOPES], created_by=admin_user)
    return raw


@pytest.fixture
def admin_token(admin_user) -> str:
    _, raw = token_issue(name="everything", scopes=list(Scope.values), created_by=admin_user)
    return raw


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def clients(db, outsider, reviewer, ops_manager, admin_user, integration_token) -> dict[str, APIClient]:
    return {
        "anonymous": APIClient(),
        "outsider": signed_in(outsider),
        "reviewer": signed_in(reviewer),
        "ops_manager": signed_in(ops_manager),
        "integration": bearer(integration_token),
        "admin": signed_in(admin_user),
    }


@dataclass
class World:
    procedure: object  # v1 retired, v2 published, v3 compiled (unpublished), v4 a draft
    v1: object
    v2: object
    v3: object
    v4: object
    step: object
    case: object
    run: object
    item: object
    event: object


def publish(procedure, source, user=None):
    version = services.version_create(procedure=procedure, source=source, created_by=user)
    version = services.version_compile(version=version, compiler="rules")
    return services.version_publish(version=version, user=user, confirm_warnings=True)


@pytest.fixture
def world(ops_manager) -> World:
    return build_world(ops_manager)


def build_world(ops_manager) -> World:
    procedure = services.procedure_create(
        name="Refunds", source=SOP, owner=ops_manager, trigger={"source": "api", "events": ["case.created"]}
    )
    v1 = services.version_publish(
        version=services.version_compile(version=procedure.versions.get(), compiler="rules"),
        user=ops_manager,
        confirm_warnings=True,
    )
    v2 = publish(procedure, SOP_V2, ops_manager)
    v3 = services.version_compile(version=services.version_create(procedure=procedure, source=SOP_V3), compiler="rules")
    v4 = services.version_create(procedure=procedure, source=SOP_V3 + "4. Email the account manager.\n")
    case = CaseFactory()
    held_at = parse(v2.graph).start
    run = RunFactory(
        case=case,
        version=v2,
        status=Run.Status.HELD,
        current_step=held_at,
        state=RunState.start(parse(v2.graph)).to_json(),
    )
    item = ReviewItemFactory(run=run, case=case, step_key=held_at, status=ReviewItem.Status.OPEN)
    event = InboundEventFactory(source="api", case=case, headers={"X-Request-Id": "1", "Authorization": "Bearer x"})
    return World(
        procedure=procedure,
        v1=v1,
        v2=v2,
        v3=v3,
        v4=v4,
        step=v3.steps.first(),
        case=case,
        run=run,
        item=item,
        event=event,
    )
