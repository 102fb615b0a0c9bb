"""The people who use sopdesk, as Django groups.

Ops managers write and publish SOPs; Reviewers work the inbox. The data
migration `reviews/0001_roles` creates both groups with these permissions, and
`role_sync` (run by the migration and after every migrate/flush, see
reviews/apps.py) keeps them current.
"""

from __future__ import annotations

ROLE_APPS = ("procedures", "cases", "sla", "connectors")  # apps whose permissions the roles use

OPS_MANAGERS = "Ops managers"
REVIEWERS = "Reviewers"

_READ_ALL = [
    "procedures.view_procedure",
    "procedures.view_procedureversion",
    "procedures.view_step",
    "cases.view_case",
    "cases.view_run",
    "cases.view_stepexecution",
    "cases.view_timer",
    "cases.view_inboundevent",
    "cases.view_reviewitem",
    "sla.view_slaclock",
    "sla.view_slapolicy",
]

_SLA_EDIT = [
    f"sla.{verb}_{model}"
    for model in ("slapolicy", "escalationrule", "businesscalendar", "slaqueue", "slacontact")
    for verb in ("add", "change", "delete", "view")
]

_DECLARED_TOOLS = [
    f"connectors.{verb}_{model}"
    for model in ("declaredoperation", "mockresponse", "endpoint", "mcpserver", "customfield")
    for verb in ("add", "change", "delete", "view")
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    OPS_MANAGERS: _READ_ALL
    + [
        "procedures.add_procedure",
        "procedures.change_procedure",
        "procedures.delete_procedure",
        "procedures.add_procedureversion",
        "procedures.change_procedureversion",
        "procedures.add_step",
        "procedures.change_step",
        "procedures.delete_step",
        "cases.add_case",
        "cases.change_case",
        "cases.change_run",
        "cases.change_reviewitem",
        *_SLA_EDIT,
        *_DECLARED_TOOLS,
    ],
    REVIEWERS: _READ_ALL
    + [
        "cases.change_case",
        "cases.change_reviewitem",
        "connectors.view_declaredoperation",
    ],
}


def role_sync(*, group_model, permission_model, using: str = "default") -> None:
    """Create the role groups and give each exactly its permissions.

    Takes the models as arguments so a data migration can pass its historical ones.
    """
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.using(using).get_or_create(name=role)
        permissions = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            permissions.append(permission_model.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(permissions)
