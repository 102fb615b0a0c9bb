from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import include, path

from sopdesk.ratelimit import ratelimited_urls

admin.site.site_header = "sopdesk"
admin.site.site_title = "sopdesk"
admin.site.index_title = "Procedures, cases and reviews"


def home(request: HttpRequest) -> HttpResponseRedirect:
    """Staff land in the admin (SOPs, cases); everyone else in the reviewer inbox (which asks them to sign in)."""
    return HttpResponseRedirect("/admin/" if request.user.is_staff else "/inbox/")


urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("sopdesk.api")),
    path("sla/", include("cases.sla.urls")),
    # The webhooks (signature-authenticated, open to the internet) are rate-limited per client address.
    path("", include(ratelimited_urls("cases.urls", prefixes=("hooks/", "api/events/")))),
    path("procedures/", include("procedures.urls")),
    path("inbox/", include("reviews.urls")),
]
