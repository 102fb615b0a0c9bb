"""The SOP editor's pages, mounted at /procedures/."""

from django.urls import path

from procedures import question_views, views

app_name = "procedures"

urlpatterns = [
    path("new/", views.procedure_create, name="create"),
    path("<int:procedure_id>/", views.procedure_editor, name="procedure_editor"),
    path("versions/<int:version_id>/", views.editor, name="editor"),
    path("versions/<int:version_id>/source/", views.source_save, name="source_save"),
    path("versions/<int:version_id>/compile/", views.version_compile, name="compile"),
    path("versions/<int:version_id>/publish/", views.version_publish, name="publish"),
    path("versions/<int:version_id>/rollback/", views.version_rollback, name="rollback"),
    path("versions/<int:version_id>/steps/<slug:step_key>/", views.step_locate, name="step_locate"),
    path("versions/<int:version_id>/steps/<slug:step_key>/correct/", views.step_correct, name="step_correct"),
    path("versions/<int:version_id>/steps/<slug:step_key>/correction/", views.step_correction, name="step_correction"),
    path("versions/<int:old_id>/diff/<int:new_id>/", views.version_diff, name="diff"),
    path("versions/<int:version_id>/questions/answer/", question_views.question_answer, name="question_answer"),
]
