from django.urls import path

from reviews import views

app_name = "reviews"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("agreement/", views.agreement, name="agreement"),
    path("items/<int:item_id>/", views.item_detail, name="item"),
    path("items/<int:item_id>/decide/", views.item_decide, name="decide"),
    path("items/<int:item_id>/claim/", views.item_claim, name="claim"),
    path("items/<int:item_id>/unclaim/", views.item_unclaim, name="unclaim"),
    path("items/<int:item_id>/run/", views.item_run_status, name="run-status"),
]
