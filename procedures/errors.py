"""What can go wrong when people write, compile, correct and publish SOPs.

Each error has a stable `code` (for APIs and tests) and a message that tells the
person what to do about it. Views show `message`; `issues` (when present) point
at the sentence or step a problem is about.
"""

from __future__ import annotations

from collections.abc import Sequence


class ProcedureError(Exception):
    """Base class: a request about a procedure that sopdesk refuses, with a reason a person can act on."""

    code = "procedure_error"

    def __init__(self, message: str, *, issues: Sequence[dict] = ()):
        super().__init__(message)
        self.message = message
        self.issues = list(issues)

    def to_json(self) -> dict:
        data: dict = {"code": self.code, "message": self.message}
        if self.issues:
            data["issues"] = self.issues
        return data


class SourceEmpty(ProcedureError):
    code = "source_empty"


class SourceTooLarge(ProcedureError):
    code = "source_too_large"


class SourceNotText(ProcedureError):
    code = "source_not_text"


class SourceDidNotCompile(ProcedureError):
    """The text was fine to store, but it did not compile; `issues` say where."""

    code = "source_did_not_compile"


class VersionLocked(ProcedureError):
    """The version has been published (or retired): it never changes again."""

    code = "version_locked"


class VersionNotPublishable(ProcedureError):
    code = "version_not_publishable"


class VersionNotCompiled(ProcedureError):
    code = "version_not_compiled"


class RollbackInvalid(ProcedureError):
    code = "rollback_invalid"


class StepEditRejected(ProcedureError):
    """A hand correction would make the graph invalid; `issues` say why."""

    code = "step_edit_rejected"


class ProcedureInvalid(ProcedureError):
    code = "procedure_invalid"


class PublishNeedsConfirmation(ProcedureError):
    """The version has open questions (sentences not understood, warnings, roles to create); `issues` names them."""

    code = "confirmation_required"


class ProcedureNameTaken(ProcedureError):
    code = "name_taken"
