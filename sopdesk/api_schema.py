"""The OpenAPI schema class: drf-spectacular's, plus every error answer documented with the one error body."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

# --------------------------------------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable, e.g. 'invalid', 'not_found', 'version_locked'.")
    message = serializers.CharField(help_text="What went wrong and what to do about it.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Each field (dotted path for nested ones) with what to fix.",
    )
    issues = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="Compiler or validation issues, where relevant."
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


_ERRORS = {
    "400": "The request is invalid: `error.fields` names each field and what to fix.",
    "401": "Not signed in, or the token is unknown, revoked or expired.",
    "403": "Your role, or the token's scopes, do not allow this.",
    "404": "No such object (or you may not see it).",
    "405": "Method not allowed here.",
    "406": "Ask for application/json.",
    "409": "The object's current state does not allow this (e.g. the version is already published).",
    "413": "The request body is larger than the limit.",
    "415": "The body is not application/json.",
    "429": "Too many requests; see the Retry-After header.",
}


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, plus every error answer documented with the one error body."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["400", "401", "403", "405", "406", "429"]
        if self.path_regex and "(?P<" in self.path_regex:
            codes.append("404")
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["409", "413", "415"]
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(response=ErrorSerializer, description=_ERRORS[code]), code, direction=direction
                )
        return responses
