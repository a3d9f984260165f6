"""The one way any interface (pages, partner API, admin) answers with a face image."""

from django.http import HttpResponse


def image_response(*, data: bytes, content_type: str) -> HttpResponse:
    """Face images are private: never cached, never sniffed, never a public URL."""
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
