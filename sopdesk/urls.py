from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "sopdesk"
admin.site.site_title = "sopdesk"
admin.site.index_title = "Procedures, cases and reviews"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
]
