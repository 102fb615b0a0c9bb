"""The WSGI application the bench serves: sopdesk plus `/bench/insert/`, a view doing one INSERT.

That view is the ingest baseline: what a web process on this database costs
for the least a webhook must do (store one row). Never part of the product's URLconf.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sopdesk.settings")

from django.core.wsgi import get_wsgi_application

_django = get_wsgi_application()
BASELINE_PATH = "/bench/insert/"


def application(environ, start_response):
    if environ.get("PATH_INFO") != BASELINE_PATH:
        return _django(environ, start_response)
    from django.db import close_old_connections, transaction

    from cases.models import InboundEvent

    close_old_connections()
    size = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(size).decode("utf-8", "replace")
    with transaction.atomic():
        event = InboundEvent.objects.create(source="api", body=body, event_type="bench.baseline")
    start_response("202 Accepted", [("Content-Type", "application/json")])
    return [f'{{"event": {event.id}}}'.encode()]
