"""API plumbing shared by every app: RFC 9457 problem details and pagination defaults."""

from http import HTTPStatus

from django.http import Http404, JsonResponse
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.pagination import CursorPagination
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


def _code_for(exc: exceptions.APIException) -> str:
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
    if isinstance(exc, exceptions.ValidationError):
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


def cursor_page_response(*, request, view, queryset, serializer_class) -> Response:
    """One page of `queryset`, newest first, shaped by `serializer_class`, with `next` and `previous` links."""
    paginator = CreatedCursorPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


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


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, as every error of both APIs is shaped."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(help_text="Machine-readable error code, e.g. consent_required, not_found, invalid.")
    errors = serializers.DictField(required=False, help_text="Field errors, for code `invalid`.")


_PROBLEM_DESCRIPTIONS = {
    400: "Invalid input (`invalid`, `parse_error`, or a domain code).",
    401: "Missing or invalid credentials.",
    403: "Not allowed (`insufficient_scope`, `csrf_failed`, `consent_required`, ...).",
    404: "Unknown, or not yours: both answer alike (`not_found`).",
    409: "Conflicts with work in progress (`export_in_progress`, `erasure_in_progress`).",
    413: "Too large (`too_large`).",
    429: "Rate limit reached; see the Retry-After header (`throttled`).",
    503: "Storage is briefly unavailable; nothing was changed, try again (`storage_unavailable`).",
}


def with_problems(responses: dict, *statuses: int) -> dict:
    """Add problem-details error responses to an operation's documented responses."""
    documented = dict(responses)
    for status in statuses:
        documented[status] = OpenApiResponse(ProblemSerializer, description=_PROBLEM_DESCRIPTIONS[status])
    return documented
