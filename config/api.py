"""API plumbing shared by every app: RFC 9457 problem details, pagination defaults, and the OpenAPI schema's
error responses."""

import base64
from http import HTTPStatus

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.core.signals import got_request_exception
from django.http import Http404, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.dateparse import parse_datetime
from django.utils.log import log_response
from django.views import defaults
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import SAFE_METHODS, AllowAny
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import DomainError

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_body(*, status: int, code: str, detail: str, title: str | None = None, **extra) -> dict:
    """The one error shape of both APIs."""
    body = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update(extra)
    return body


class InvalidQueryParameter(exceptions.ValidationError):
    """A bad query parameter: 400 with its own code (`invalid_cursor` for a cursor, else `invalid_parameter`) and a
    detail that names the parameter. Never "the request body", which a GET does not have."""

    def __init__(self, *, parameter: str, message: str, code: str = "invalid_parameter"):
        super().__init__({parameter: [message]}, code=code)
        self.parameter = parameter
        self.problem_code = code


def query_validate(serializer: serializers.Serializer, *, cursors: tuple[str, ...] = ()) -> dict:
    """Validate query parameters with `serializer`: the first bad parameter (a cursor first) is answered alone, as
    InvalidQueryParameter."""
    if serializer.is_valid():
        return serializer.validated_data
    errors = serializer.errors
    parameter = next((name for name in cursors if name in errors), next(iter(errors)))
    raise InvalidQueryParameter(
        parameter=parameter,
        message=str(errors[parameter][0]),
        code="invalid_cursor" if parameter in cursors else "invalid_parameter",
    )


def _code_for(exc: exceptions.APIException) -> str:
    if isinstance(exc, InvalidQueryParameter):
        return exc.problem_code
    if isinstance(exc, exceptions.ValidationError):
        return "invalid"
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        return "csrf_failed"
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def problem_exception_handler(exc, context):
    """Map domain errors and DRF exceptions to application/problem+json with a `code` member."""
    if isinstance(exc, DomainError):
        response = Response(problem_body(status=exc.status, code=exc.code, detail=exc.detail), status=exc.status)
        response.content_type = PROBLEM_CONTENT_TYPE
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    extra = {}
    if isinstance(exc, InvalidQueryParameter):
        extra["errors"] = exc.detail
        detail = f"The query parameter `{exc.parameter}` is not valid: {exc.detail[exc.parameter][0]}"
    elif isinstance(exc, exceptions.ValidationError):
        extra["errors"] = exc.detail
        detail = "The request body is not valid."
    else:
        detail = str(exc.detail)
    response.data = problem_body(status=response.status_code, code=_code_for(exc), detail=detail, **extra)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_response(*, status: int, code: str, detail: str) -> JsonResponse:
    """A problem-details response outside DRF (URL-level 404s, 500s under /api/)."""
    return JsonResponse(
        problem_body(status=status, code=code, detail=detail), status=status, content_type=PROBLEM_CONTENT_TYPE
    )


class CreatedCursorPagination(CursorPagination):
    """Cursor pagination, newest first: stable under inserts, no counting."""

    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = "-created_at"

    def decode_cursor(self, request):
        """A cursor that is not one of ours is a 400 `invalid_cursor` naming `cursor` (DRF answers 404)."""
        try:
            # DRF's decoding skips characters that are not base64 ("%%" reads as the first page): ours never has any.
            base64.b64decode(request.query_params.get(self.cursor_query_param, "").encode("ascii"), validate=True)
            cursor = super().decode_cursor(request)
        except (ValueError, exceptions.NotFound):
            cursor = None
            valid = False
        else:
            # The position is a created_at that the query compares with: anything else would fail in the database.
            valid = cursor is None or cursor.position is None or parse_datetime(cursor.position) is not None
        if not valid:
            raise InvalidQueryParameter(
                parameter=self.cursor_query_param, message="Not a cursor from this list.", code="invalid_cursor"
            )
        return cursor


def cursor_page_response(*, request, view, queryset, serializer_class) -> Response:
    """One page of `queryset`, newest first, shaped by `serializer_class`, with `next` and `previous` links."""
    paginator = CreatedCursorPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


def cursor_page_parameters() -> list[OpenApiParameter]:
    """The query parameters of such a page, for an operation's schema."""
    return [
        OpenApiParameter("cursor", OpenApiTypes.STR, description="From `next` of the previous page."),
        OpenApiParameter(
            "page_size",
            OpenApiTypes.INT,
            description=f"Items a page: {CreatedCursorPagination.page_size} by default, at most "
            f"{CreatedCursorPagination.max_page_size}.",
        ),
    ]


def cursor_page_schema(name: str, item_serializer_class: type[serializers.Serializer]) -> serializers.Serializer:
    """The OpenAPI shape of such a page: {"next", "previous", "results": [...]}."""
    return inline_serializer(
        name,
        {
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item_serializer_class(many=True),
        },
    )


def api_not_found(request, rest: str):
    """Unknown paths under /api/ answer problem details, not an HTML page."""
    return problem_response(status=404, code="not_found", detail="No such API endpoint.")


# --- Errors outside DRF's exception handler: under /api/ they are problem details too, never an HTML page ---------
API_PREFIX = "/api/"
SERVER_ERROR_DETAIL = "The server could not answer this request. The error is logged; try again later."
# What Django answers itself with its 400, 403 and 404 handlers rather than as a server error.
_DJANGO_HANDLED = (Http404, PermissionDenied, BadRequest, SuspiciousOperation, MultiPartParserError)


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def server_error_problem() -> JsonResponse:
    """A 500 with no internal detail: no exception text, no traceback, whatever DEBUG says."""
    return problem_response(status=500, code="server_error", detail=SERVER_ERROR_DETAIL)


class ApiServerErrorMiddleware:
    """An unexpected exception in a view under /api/ answers a problem-details 500, with DEBUG on (the embedded
    default, where Django would send its technical page) as with DEBUG off. It is logged, and signalled, as Django
    does for any 500 (test clients re-raise it unless told not to)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not _is_api(request) or isinstance(exception, _DJANGO_HANDLED):
            return None
        got_request_exception.send(sender=None, request=request)
        response = server_error_problem()
        log_response("Internal Server Error: %s", request.path, response=response, request=request, exception=exception)
        return response


def server_error(request):
    """handler500: problem details under /api/ (an error outside any view, DEBUG off), the portal's page elsewhere."""
    return server_error_problem() if _is_api(request) else defaults.server_error(request)


def permission_denied(request, exception=None):
    """handler403: problem details under /api/ (a refusal before any API view), the portal's page elsewhere."""
    if _is_api(request):
        return problem_response(status=403, code="permission_denied", detail="You are not allowed to do this.")
    return defaults.permission_denied(request, exception)


def bad_request(request, exception=None):
    """handler400: problem details under /api/ (a request refused before any API view), the portal's page elsewhere."""
    if _is_api(request):
        return problem_response(status=400, code="bad_request", detail="The request could not be read.")
    return defaults.bad_request(request, exception)


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, as every error of both APIs is shaped."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(help_text="Machine-readable error code, e.g. consent_required, not_found, invalid.")
    errors = serializers.DictField(required=False, help_text="Field errors, for code `invalid`.")


_PROBLEM_DESCRIPTIONS = {
    400: "Invalid input (`invalid`, `parse_error`, `invalid_cursor`, `invalid_parameter`, or a domain code).",
    401: "Missing or invalid credentials.",
    403: "Not allowed (`insufficient_scope`, `csrf_failed`, `consent_required`, ...).",
    404: "Unknown, or not yours: both answer alike (`not_found`).",
    406: "None of the media types in the Accept header can be sent (`not_acceptable`).",
    409: "Conflicts with work in progress (`export_in_progress`, `erasure_in_progress`).",
    413: "Too large (`too_large`).",
    415: "The request body's Content-Type is not one this operation reads (`unsupported_media_type`).",
    429: "Rate limit reached; see the Retry-After header (`throttled`).",
    503: "Storage is briefly unavailable; nothing was changed, try again (`storage_unavailable`).",
}


def with_problems(responses: dict, *statuses: int, said: dict[int, str] | None = None) -> dict:
    """Add problem-details error responses to an operation's documented responses, each with the media type it is
    sent with (application/problem+json); `said` gives this operation's own words for a status."""
    documented = dict(responses)
    for status in statuses:
        description = (said or {}).get(status, _PROBLEM_DESCRIPTIONS[status])
        documented[(status, PROBLEM_CONTENT_TYPE)] = OpenApiResponse(ProblemSerializer, description=description)
    return documented


class ProblemAutoSchema(AutoSchema):
    """Every operation also documents the errors that DRF itself can answer for its view, as problem details.

    From the view's configuration: 401 when its authentication asks for credentials (a WWW-Authenticate header),
    403 when it has permissions (session authentication answers 403 for no session and for CSRF), 429 when it is
    throttled, 406 for every view (content negotiation on Accept), and 400 (`parse_error`) and 415 where the
    operation or its authentication reads a request body. What an operation documents itself (`with_problems`) is kept as it is.
    """

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        problem = self.resolve_serializer(ProblemSerializer, "response").ref
        for status in self._drf_error_statuses(has_body="requestBody" in operation):
            responses.setdefault(
                str(status),
                {
                    "description": _PROBLEM_DESCRIPTIONS[status],
                    "content": {PROBLEM_CONTENT_TYPE: {"schema": problem}},
                },
            )
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _drf_error_statuses(self, *, has_body: bool) -> list[int]:
        view = self.view
        statuses = [HTTPStatus.NOT_ACCEPTABLE]
        authenticators = view.get_authenticators()
        # DRF answers 401 only when the first authenticator names a WWW-Authenticate challenge, else 403.
        challenges = bool(authenticators) and bool(authenticators[0].authenticate_header(view.request))
        permissions = [p for p in view.get_permissions() if not isinstance(p, AllowAny)]
        if permissions and challenges:
            statuses.append(HTTPStatus.UNAUTHORIZED)
        csrf = self.method not in SAFE_METHODS and any(isinstance(a, SessionAuthentication) for a in authenticators)
        if permissions or csrf:
            statuses.append(HTTPStatus.FORBIDDEN)
        if view.get_throttles():
            statuses.append(HTTPStatus.TOO_MANY_REQUESTS)
        # OAuth2 authentication reads the body of any other method than GET (form-encoded credentials), so it can
        # answer these even where the operation itself takes no body; session authentication never reads it.
        reads_body = self.method not in SAFE_METHODS and any(
            not isinstance(a, SessionAuthentication) for a in authenticators
        )
        if has_body or reads_body:
            statuses += [HTTPStatus.BAD_REQUEST, HTTPStatus.UNSUPPORTED_MEDIA_TYPE]
        return sorted(int(status) for status in statuses)
