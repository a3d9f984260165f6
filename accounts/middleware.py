import time

from allauth.usersessions import app_settings as usersessions_settings
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import logout

_STARTED_KEY = "_session_started_at"
_ACTIVITY_KEY = "_session_activity_at"


class SessionLifetimeMiddleware:
    """End a signed-in session after SESSION_ABSOLUTE_LIFETIME, however active it is.

    The idle limit is SESSION_COOKIE_AGE, renewed by SessionActivityMiddleware; this adds the absolute one.
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


class SessionActivityMiddleware:
    """Renew a signed-in session's idle deadline (SESSION_COOKIE_AGE ahead) and its "last seen" in the list of
    the person's sessions (allauth usersessions) at most once per SESSION_ACTIVITY_INTERVAL, not on every request:
    each renewal is a database write, and an API call or a page's polling would otherwise pay for it every time.
    The idle limit then holds to within that interval. Takes the place of allauth's UserSessionsMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and request.session.session_key:
            now = time.time()
            if now - request.session.get(_ACTIVITY_KEY, 0) >= settings.SESSION_ACTIVITY_INTERVAL.total_seconds():
                request.session[_ACTIVITY_KEY] = now  # marks the session modified: saved with a new deadline
                if usersessions_settings.TRACK_ACTIVITY:
                    UserSession.objects.create_from_request(request)
        return self.get_response(request)
