"""The one way any interface (pages, partner API, admin) answers with a face image."""

from collections.abc import Callable
from http import HTTPStatus

from django.http import Http404, HttpResponse

from config.errors import DomainError
from media_vault.exceptions import StorageUnavailable


def image_response(*, data: bytes, content_type: str) -> HttpResponse:
    """Face images are private: never cached, never sniffed, never a public URL."""
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


def image_page_response(*, read: Callable[[], bytes], content_type: str = "image/jpeg") -> HttpResponse:
    """An image for a page's <img>: a picture that is gone (erased, its key destroyed) is a 404, a storage outage a
    bare 503, anything else the image."""
    try:
        data = read()
    except (DomainError, StorageUnavailable) as error:
        status = getattr(error, "status", HTTPStatus.SERVICE_UNAVAILABLE)
        if status == HTTPStatus.NOT_FOUND:
            raise Http404(str(error)) from error
        return HttpResponse(status=status)
    return image_response(data=data, content_type=content_type)
