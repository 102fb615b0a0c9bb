from django.urls import path

from cases.sla import views

app_name = "sla"

urlpatterns = [
    path("", views.breaching_soon, name="breaching-soon"),
    path("attainment/", views.attainment, name="attainment"),
]
