"""One error body for every failure of the API:
`{"error": {"code": ..., "message": ..., "details": [...]}}`."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError, ValidationErrorContext
from ninja.openapi.schema import OpenAPISchema

from policydesk.tickets.actions import ActionError

logger = logging.getLogger(__name__)

CODES = {
    400: "rejected",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "throttled",
    500: "internal",
}


class ErrorDetail(Schema):
    loc: list[str | int] = Field(default_factory=list)
    message: str
    type: str = ""


class ErrorBody(Schema):
    code: str
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorOut(Schema):
    error: ErrorBody


class ApiError(HttpError):
    """An error a handler raises on purpose: status, and optionally the field that was wrong."""

    def __init__(self, status: int, message: str, *, loc: tuple[str | int, ...] = ()) -> None:
        super().__init__(status, message)
        self.details = [{"loc": list(loc), "message": message, "type": CODES.get(status, "")}] if loc else []


def error_body(status: int, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": {"code": CODES.get(status, "error"), "message": message, "details": details or []}}


def error_response(status: int, message: str, details: list[dict[str, Any]] | None = None) -> JsonResponse:
    response = JsonResponse(error_body(status, message, details), status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="policydesk"'
    return response


def responses(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The documented error responses of an operation (schemathesis holds us to them)."""
    return dict.fromkeys((400, 401, 422, 500, *statuses), ErrorOut)


def not_found() -> ApiError:
    # The same answer for "does not exist" and "you may not see it": numbers do not leak.
    return ApiError(404, _("Not found."))


class DeskNinjaAPI(NinjaAPI):
    """ninja, with validation errors that name the field plainly and its OpenAPI document built
    once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._built_schemas: dict[tuple[str, str | None], OpenAPISchema] = {}

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """ninja's OpenAPI document, built once per path prefix and language and then shared
        (callers read it; none may change it). ninja walks every operation and its models on
        each call: 145 ms of CPU per `GET /api/v1/openapi.json`, a page anyone may ask for, and
        the readiness check of the side-by-side harness (issue 17). The operations are all
        added at import, before the first request."""
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        key = (path_prefix, get_language())
        if key not in self._built_schemas:
            self._built_schemas[key] = super().get_openapi_schema(path_prefix=path_prefix)
        return self._built_schemas[key]

    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext[Any]]
    ) -> ValidationError:
        errors: list[dict[str, Any]] = []
        for context in error_contexts:
            model = context.model
            raw = context.pydantic_validation_error.errors(include_url=False)
            # An optional field's bad value fails both union members: "not a status" and
            # "not null". Keep the first, and drop the union member's tag from its location.
            optional = {tuple(error["loc"][:-1]) for error in raw if error["type"] == "none_required"}
            for error in raw:
                if error["type"] == "none_required":
                    continue
                loc = tuple(error["loc"])
                for prefix in optional:
                    if len(loc) > len(prefix) and loc[: len(prefix)] == prefix:
                        loc = loc[: len(prefix)] + loc[len(prefix) + 1 :]
                        break
                loc = (model.__ninja_param_source__, *model.__ninja_flatten_map_reverse__.get(loc, loc))
                errors.append({"loc": loc, "msg": error["msg"], "type": error["type"]})
        return ValidationError(errors)


def install(api: NinjaAPI) -> None:
    """Replace ninja's default error bodies with ours."""

    @api.exception_handler(ValidationError)
    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        details = [
            {
                "loc": list(error.get("loc", ())),
                "message": str(error.get("msg", "")),
                "type": error.get("type", ""),
            }
            for error in exc.errors
        ]
        return error_response(422, _("The request is not valid."), details)

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc, AuthenticationError):
            return error_response(401, _("A valid API token or a staff session is required."))
        return error_response(exc.status_code, exc.message, getattr(exc, "details", None))

    @api.exception_handler(Http404)
    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(404, _("Not found."))

    @api.exception_handler(ActionError)
    def on_action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
        return error_response(400, str(exc))

    @api.exception_handler(Exception)
    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API request %s %s failed", request.method, request.path, exc_info=exc)
        return error_response(500, _("Something went wrong on our side; it has been logged."))
