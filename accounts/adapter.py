"""allauth's hooks into the portal: every sign-in through allauth (password, and two-factor after it) is recorded."""

from allauth.account.adapter import DefaultAccountAdapter

from accounts.services import sign_in_record


class AccountAdapter(DefaultAccountAdapter):
    def login(self, request, user) -> None:
        super().login(request, user)
        sign_in_record(subject=user, user_agent=request.META.get("HTTP_USER_AGENT", ""))
