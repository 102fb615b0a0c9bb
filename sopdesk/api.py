"""The REST API's wiring: routes, JSON parsing with a size limit, cursor pagination, the schema, the docs.

Mounted at /api/ by sopdesk/urls.py:

    /api/v1/...     the API (procedures/api.py, cases/api.py, connectors/api.py)
    /api/schema/    OpenAPI 3 (drf-spectacular), for signed-in people and tokens
    /api/docs/      Swagger UI (assets served locally by drf-spectacular-sidecar)

The parser and pagination are in sopdesk.api_base and the schema class in sopdesk.api_schema (DRF
imports those while defining its views, so they cannot live here); errors in sopdesk.api_errors.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.urls import Resolver404, include, path, re_path, resolve
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import exceptions
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.routers import SimpleRouter

# --- Routes --------------------------------------------------------------------------------


def _router() -> SimpleRouter:
    from cases.api import register as register_cases
    from connectors.api import register as register_connectors
    from procedures.api import register as register_procedures
    from reviews.api import register as register_reviews
    from reviews.insights.api import register as register_insights  # issue 13

    router = SimpleRouter()
    register_procedures(router)
    register_cases(router)
    register_reviews(router)
    register_connectors(router)
    register_insights(router)
    return router


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([])
def not_found(request, rest=""):
    """Any other path under /api/v1/: a 404 in the API's error shape (with a hint for a missing slash)."""
    if not request.path.endswith("/"):
        try:
            resolve(request.path + "/")
        except Resolver404:
            pass
        else:
            raise exceptions.NotFound(f"Did you mean {request.path}/ ? API paths end with a slash.")
    raise exceptions.NotFound(f"No API endpoint at {request.path}. See /api/docs/ for the list.")


urlpatterns = [
    path("v1/", include(_router().urls)),
    re_path(r"^v1/(?P<rest>[\s\S]*)\Z", not_found),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", login_required(SpectacularSwaggerView.as_view(url_name="api-schema")), name="api-docs"),
]
