from django.contrib import admin

from connectors.models import ModelCall, WriteRecord


@admin.register(ModelCall)
class ModelCallAdmin(admin.ModelAdmin):
    list_display = ["id", "purpose", "model", "prompt_tokens", "completion_tokens", "latency_ms", "created_at"]
    list_filter = ["purpose", "model"]
    readonly_fields = ["created_at"]


@admin.register(WriteRecord)
class WriteRecordAdmin(admin.ModelAdmin):
    list_display = ["id", "operation", "idempotency_key", "created_at"]
    list_filter = ["operation"]
    search_fields = ["idempotency_key"]
    readonly_fields = ["created_at"]


from connectors.declared import admin as declared_admin  # noqa: E402,F401  (registers the declared-tools admin)
