from django.urls import path

from cases import views

app_name = "cases"

urlpatterns = [
    path("hooks/zendesk/", views.zendesk_hook, name="hook-zendesk"),
    path("hooks/jira/", views.jira_hook, name="hook-jira"),
    path("hooks/salesforce/", views.salesforce_hook, name="hook-salesforce"),
    path("api/events/", views.api_events, name="api-events"),
    path("cases/<int:case_id>/", views.case_detail, name="detail"),
    path("cases/<int:case_id>/timeline/", views.timeline, name="timeline"),
    path("cases/try/<int:version_id>/", views.try_version, name="try"),
]
