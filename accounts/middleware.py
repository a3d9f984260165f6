import time

from django.conf import settings
from django.contrib.auth import logout

_STARTED_KEY = "_session_started_at"


class SessionLifetimeMiddleware:
    """End a signed-in session after SESSION_ABSOLUTE_LIFETIME, however active it is.

    The idle limit is SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST; this adds the absolute one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.setdefault(_STARTED_KEY, now)
            if now - started > settings.SESSION_ABSOLUTE_LIFETIME.total_seconds():
                logout(request)
        response = self.get_response(request)
        # Stamp the sign-in request itself, so that the lifetime counts from signing in. API views may
        # leave request.user as None (a partner's client-credentials token has no user).
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and _STARTED_KEY not in request.session:
            request.session[_STARTED_KEY] = time.time()
        return response
