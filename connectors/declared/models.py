"""Declared tools as rows: endpoints, MCP servers, operations, their mocks, custom fields.

Every editable row keeps history (simple-history). Secrets are stored only
encrypted (`secrets.seal`) and are never rendered by the admin or the API.
`RegistryState.token` changes whenever any declaration changes, so every
process can tell cheaply that its cached operations are stale.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

OPERATION_NAME = RegexValidator(
    r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$", "Use system.action in lower case, e.g. billing.get_account_status."
)
SLUG = RegexValidator(r"^[a-z][a-z0-9_-]*$", "Lower-case letters, digits, - and _.")
ENV_NAME = RegexValidator(r"^[A-Z_][A-Z0-9_]*$", "An environment variable name, e.g. BILLING_API_TOKEN.")


class AuthKind(models.TextChoices):
    NONE = "none", "None"
    BEARER = "bearer", "Authorization: Bearer <secret>"
    HEADER = "header", "A header carrying the secret"
    BASIC = "basic", "Basic auth (secret is user:password)"


class Endpoint(models.Model):
    """A named base URL with its authentication; operations refer to it by name."""

    name = models.CharField(max_length=60, unique=True, validators=[SLUG])
    base_url = models.URLField(max_length=500, help_text="e.g. https://billing.internal.example/api")
    auth = models.CharField(max_length=10, choices=AuthKind.choices, default=AuthKind.NONE)
    auth_header = models.CharField(max_length=60, blank=True, help_text="Header name for 'header' auth.")
    secret_env = models.CharField(
        max_length=100, blank=True, validators=[ENV_NAME], help_text="Read the secret from this environment variable."
    )
    secret_sealed = models.TextField(blank=True, editable=False, help_text="The secret, encrypted.")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["secret_sealed"])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class McpServer(models.Model):
    class Transport(models.TextChoices):
        STDIO = "stdio", "stdio (a command sopdesk starts)"
        HTTP = "http", "streamable HTTP (a URL)"

    name = models.CharField(max_length=60, unique=True, validators=[SLUG])
    transport = models.CharField(max_length=10, choices=Transport.choices, default=Transport.STDIO)
    command = models.CharField(max_length=500, blank=True, help_text="stdio: the command line, e.g. 'python srv.py'.")
    env_names = models.CharField(
        max_length=500, blank=True, help_text="stdio: comma-separated environment variables passed to the server."
    )
    url = models.URLField(max_length=500, blank=True, help_text="streamable HTTP: e.g. https://tools.example/mcp")
    auth = models.CharField(max_length=10, choices=AuthKind.choices, default=AuthKind.NONE)
    auth_header = models.CharField(max_length=60, blank=True)
    secret_env = models.CharField(max_length=100, blank=True, validators=[ENV_NAME])
    secret_sealed = models.TextField(blank=True, editable=False)
    timeout = models.FloatField(default=30.0, help_text="Seconds for one connection and tool call.")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["secret_sealed"])

    class Meta:
        ordering = ["name"]
        verbose_name = "MCP server"

    def __str__(self) -> str:
        return self.name


class DeclaredOperation(models.Model):
    class Kind(models.TextChoices):
        HTTP = "http", "HTTP"
        MCP = "mcp", "MCP tool"

    name = models.CharField(max_length=100, unique=True, validators=[OPERATION_NAME])
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.HTTP)
    summary = models.TextField(help_text="What it does, in the words an SOP would use.")
    synonyms = models.TextField(
        blank=True, help_text="Comma-separated words an SOP might use for it: billing system, account status, ..."
    )
    writes = models.BooleanField(default=False, help_text="True when it changes something. Never assumed.")
    enabled = models.BooleanField(default=True)
    input_schema = models.JSONField(default=dict, blank=True, help_text="JSON Schema of the inputs (an object).")
    outputs = models.JSONField(
        default=list,
        blank=True,
        help_text='Output facts: [{"name": "account_status", "path": "/status", "type": "string", '
        '"enum": ["active", "suspended", "closed"]}]; enum (optional) lists the only values it can return.',
    )
    # HTTP
    endpoint = models.ForeignKey(Endpoint, null=True, blank=True, on_delete=models.PROTECT, related_name="operations")
    method = models.CharField(max_length=10, default="GET")
    path = models.CharField(max_length=500, blank=True, help_text="e.g. /accounts/{email}/status")
    query = models.JSONField(default=dict, blank=True, help_text='e.g. {"region": "{region}"}')
    body = models.JSONField(null=True, blank=True, help_text="JSON body template; empty: the inputs not in path/query.")
    idempotency_header = models.CharField(
        max_length=60, default="Idempotency-Key", blank=True, help_text="HTTP header (MCP: argument) for write keys."
    )
    # MCP
    mcp_server = models.ForeignKey(
        McpServer, null=True, blank=True, on_delete=models.PROTECT, related_name="operations"
    )
    mcp_tool = models.CharField(max_length=200, blank=True)
    # Policy
    timeout = models.FloatField(default=20.0)
    retry_attempts = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: SOPDESK_RETRY_ATTEMPTS.")
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MockResponse(models.Model):
    """One scripted answer: when the inputs contain `match`, return `result` (or fail with `error`)."""

    class Error(models.TextChoices):
        NONE = "", "No error"
        NOT_FOUND = "not_found", "Not found"
        PERMANENT = "permanent", "Permanent failure"
        RETRYABLE = "retryable", "Retryable failure"

    operation = models.ForeignKey(DeclaredOperation, on_delete=models.CASCADE, related_name="mocks")
    position = models.PositiveIntegerField(default=0)
    match = models.JSONField(
        default=dict, blank=True, help_text='Inputs to match, e.g. {"email": "a@x.example"}; {} = any.'
    )
    result = models.JSONField(default=dict, blank=True, help_text="The output facts returned.")
    error = models.CharField(max_length=20, choices=Error.choices, default=Error.NONE, blank=True)
    recorded = models.BooleanField(default=False, help_text="Recorded from a real call.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["operation", "position", "id"]

    def __str__(self) -> str:
        return f"{self.operation.name} when {self.match or 'any'}"


class CustomField(models.Model):
    """A Zendesk ticket field or a Salesforce object field that SOPs may use as a named fact."""

    class System(models.TextChoices):
        ZENDESK = "zendesk", "Zendesk ticket field"
        SALESFORCE = "salesforce", "Salesforce object field"

    system = models.CharField(max_length=20, choices=System.choices)
    sobject = models.CharField(max_length=80, default="Ticket", help_text="Ticket (Zendesk) or Account, Contact, ...")
    field_id = models.CharField(max_length=120, help_text="Zendesk field id or Salesforce field API name.")
    title = models.CharField(max_length=200)
    fact = models.CharField(max_length=80, validators=[RegexValidator(r"^[a-z][a-z0-9_]*$")])
    type = models.CharField(max_length=20, default="string")
    choices = models.JSONField(default=list, blank=True)
    enabled = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["system", "sobject", "fact"]
        constraints = [models.UniqueConstraint(fields=["system", "sobject", "fact"], name="custom_field_fact_unique")]

    def __str__(self) -> str:
        return f"{self.system} {self.sobject}.{self.fact}"


class RegistryState(models.Model):
    """One row; its token changes on every change to a declaration (see catalog.declarations_changed)."""

    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.token


class VocabularyAnswer(models.Model):
    """A person's answer to a compiler question about one procedure: which system or fact a phrase means.

    "the customer's segment" → `case.fields.customer_segment`, "the CRM system" → `crm.get_customer`, or
    nothing (a person decides). The rules compiler reads them as that procedure's own vocabulary, so every
    later compile keeps the answer. `procedure_pk` is the procedure's id (connectors do not import procedures).
    """

    class Kind(models.TextChoices):
        SYSTEM = "system", "Which system is …?"
        FACT = "fact", "Which system tells us …?"

    procedure_pk = models.PositiveIntegerField(db_index=True)
    phrase = models.CharField(max_length=200, help_text="The phrase as the compiler keys it: 'customer segment'.")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    answer = models.CharField(
        max_length=300,
        blank=True,
        help_text="An operation, operation:output, a case fact (case.…), or empty: a person decides.",
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_on_version = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["procedure_pk", "phrase"]
        constraints = [models.UniqueConstraint(fields=["procedure_pk", "phrase"], name="vocabulary_answer_unique")]

    def __str__(self) -> str:
        return f"{self.phrase} → {self.answer or 'a person decides'}"
