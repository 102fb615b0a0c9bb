"""factory-boy factories for the core models."""

from __future__ import annotations

import hashlib

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from cases.models import Case, InboundEvent, ReviewItem, Run, StepExecution, Timer
from procedures.models import Procedure, ProcedureVersion, Step


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class ProcedureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Procedure

    name = factory.Sequence(lambda n: f"Procedure {n}")
    slug = factory.Sequence(lambda n: f"procedure-{n}")
    trigger = factory.LazyFunction(lambda: {"source": "api"})


class ProcedureVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProcedureVersion

    procedure = factory.SubFactory(ProcedureFactory)
    number = factory.Sequence(lambda n: n + 1)
    source = "1. Reply to the customer.\n2. Close the ticket."
    source_hash = factory.LazyAttribute(lambda v: hashlib.sha256(v.source.encode()).hexdigest())


class StepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Step

    version = factory.SubFactory(ProcedureVersionFactory)
    key = factory.Sequence(lambda n: f"step_{n}")
    position = factory.Sequence(lambda n: n)
    kind = Step.Kind.END
    title = "Close the ticket"


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    source = "api"
    external_id = factory.Sequence(lambda n: f"ext-{n}")
    subject = factory.Sequence(lambda n: f"Case subject {n}")
    description = "Something is broken."
    requester_email = "customer@acme.example"
    opened_at = factory.LazyFunction(timezone.now)


class RunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Run

    case = factory.SubFactory(CaseFactory)
    version = factory.SubFactory(ProcedureVersionFactory)


class StepExecutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StepExecution

    run = factory.SubFactory(RunFactory)
    sequence = factory.Sequence(lambda n: n + 1)
    step_key = "step_1"


class TimerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Timer

    run = factory.SubFactory(RunFactory)
    step_key = "wait_1"
    due_at = factory.LazyFunction(timezone.now)


class InboundEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InboundEvent

    source = "zendesk"
    event_type = "ticket.created"
    dedupe_key = factory.Sequence(lambda n: f"delivery-{n}")
    body = "{}"


class ReviewItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewItem

    run = factory.SubFactory(RunFactory)
    case = factory.SelfAttribute("run.case")
    step_key = "find_account"
    reason = ReviewItem.Reason.MISSING_FACT
    summary = "The requester has no organization in Salesforce."
    allowed_outcomes = factory.LazyFunction(lambda: ["continue", "stop"])
