from django.urls import path

from reviews import views
from reviews.insights import views as insights
from reviews.report import views as report

app_name = "reviews"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("agreement/", views.agreement, name="agreement"),
    path("items/<int:item_id>/", views.item_detail, name="item"),
    path("items/<int:item_id>/decide/", views.item_decide, name="decide"),
    path("items/<int:item_id>/claim/", views.item_claim, name="claim"),
    path("items/<int:item_id>/unclaim/", views.item_unclaim, name="unclaim"),
    path("items/<int:item_id>/run/", views.item_run_status, name="run-status"),
    path("insights/", insights.insight_list, name="insights"),
    path("insights/<int:insight_id>/", insights.insight_detail, name="insight"),
    path("insights/<int:insight_id>/chart.png", insights.insight_chart, name="insight-chart"),
    path("insights/<int:insight_id>/<str:action>/", insights.insight_decide, name="insight-decide"),
    path("insights/versions/<int:version_id>/regression/", insights.regression_panel, name="regression"),
    path("reports/weekly/", report.report_page, name="report"),
    path("reports/weekly/chart.png", report.report_chart, name="report-chart"),
    path("reports/weekly/download/", report.report_download, name="report-download"),
]
