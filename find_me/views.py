"""The subject's "Found you" page: what find-me keeps of them, every sighting of their face in other people's
uploads with a blurred preview of that face only, and their answer to each ("Not me", "Remove me").

Form -> service -> redirect + message; no JavaScript is needed anywhere.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from config.errors import DomainError
from consents.models import ConsentStateName
from consents.selectors import ConsentRow, consent_states_for_subject
from find_me.exceptions import SightingNotFound
from find_me.models import Sighting
from find_me.selectors import (
    OVERDUE,
    REMOVED,
    SIMILARITY_WORDS,
    STATUS_WORDS,
    sighting_get_for_subject,
    sighting_list_for_subject,
    sighting_preview_jpeg,
    sighting_similarity,
    sighting_status_shown,
    template_summary_for_subject,
)
from find_me.services import FIND_ME, sighting_dismiss, sighting_removal_request
from media_vault.responses import image_page_response

CONSENT_CARD = "#purpose-" + FIND_ME  # the find-me card on the consent page
CARD_TAG = "sighting:"  # a message's extra tag naming the sighting it is about: shown in that sighting's card


@dataclass(frozen=True)
class SightingRow:
    """One sighting as the page shows it: the words for its status and similarity, and what the person may answer."""

    sighting: Sighting
    status: str
    status_words: str
    similarity_words: str
    notes: list  # the messages about this sighting (what the person's answer did)

    @property
    def app(self) -> str | None:
        return self.sighting.partner.name if self.sighting.partner else None

    @property
    def can_say_not_me(self) -> bool:
        return self.status == Sighting.Status.FOUND

    @property
    def can_ask_removal(self) -> bool:
        # Once removal is asked for (or the photo is gone) there is nothing left to answer.
        return self.status in (Sighting.Status.FOUND, Sighting.Status.NOT_ME)


def _find_me_consent(*, subject) -> ConsentRow | None:
    """The person's decision on `find-me`, or None when the portal does not offer it."""
    return next((row for row in consent_states_for_subject(subject=subject) if row.purpose_slug == FIND_ME), None)


def _sighting_or_404(*, request, sighting_id) -> Sighting:
    try:
        return sighting_get_for_subject(subject=request.user, sighting_id=sighting_id)
    except SightingNotFound as error:
        raise Http404(str(error)) from error


def _in_words(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "j M Y, H:i")


def _back_to(sighting: Sighting):
    return redirect(reverse("find_me:found_you") + f"#sighting-{sighting.pk}")


def _said(request, sighting: Sighting, text: str, *, level: int = messages.SUCCESS) -> None:
    """A message in the sighting's own card, where the browser lands (the anchor), not at the top of the page."""
    messages.add_message(request, level, text, extra_tags=CARD_TAG + str(sighting.pk))


class FoundYouView(LoginRequiredMixin, TemplateView):
    """Find-me off: what it does and where to turn it on. On: the templates kept, and every sighting."""

    template_name = "find_me/found_you.html"

    def get_context_data(self, **kwargs):
        subject = self.request.user
        consent = _find_me_consent(subject=subject)
        notes = list(messages.get_messages(self.request))
        context = {
            **super().get_context_data(**kwargs),
            "page_messages": notes,
            "consent": consent,
            "opted_in": consent is not None and consent.granted,
            "asked_again": consent is not None and consent.state == ConsentStateName.RECONSENT_REQUIRED,
            "consent_url": reverse("consents:consent_list") + CONSENT_CARD,
        }
        if not context["opted_in"]:
            return context
        now = timezone.now()
        rows = []
        for sighting in sighting_list_for_subject(subject=subject):
            shown = sighting_status_shown(sighting=sighting, now=now)
            rows.append(
                SightingRow(
                    sighting=sighting,
                    status=shown,
                    status_words=STATUS_WORDS[shown],
                    similarity_words=SIMILARITY_WORDS[sighting_similarity(sighting=sighting)],
                    notes=[n for n in notes if n.extra_tags == CARD_TAG + str(sighting.pk)],
                )
            )
        shown_in_cards = {CARD_TAG + str(row.sighting.pk) for row in rows}
        return {
            **context,
            "page_messages": [n for n in notes if n.extra_tags not in shown_in_cards],
            "templates": template_summary_for_subject(subject=subject),
            "rows": rows,
            "OVERDUE": OVERDUE,
            "REMOVED": REMOVED,
        }


class SightingPreviewView(LoginRequiredMixin, View):
    """The blurred face that matched, for the person it matched only; never cached."""

    http_method_names = ["get"]

    def get(self, request, sighting_id):
        sighting = _sighting_or_404(request=request, sighting_id=sighting_id)
        return image_page_response(read=lambda: sighting_preview_jpeg(sighting=sighting))


class SightingNotMeView(LoginRequiredMixin, View):
    """POST "Not me": the sighting is dismissed and that photo is not matched with the person again."""

    http_method_names = ["post"]

    def post(self, request, sighting_id):
        sighting = _sighting_or_404(request=request, sighting_id=sighting_id)
        try:
            sighting = sighting_dismiss(sighting=sighting)
        except DomainError as error:  # the photo is already gone
            _said(request, sighting, error.detail, level=messages.ERROR)
            return _back_to(sighting)
        _said(request, sighting, _("Noted: that face is not you. The photo will not be matched with you again."))
        return _back_to(sighting)


class SightingRemoveView(LoginRequiredMixin, View):
    """POST "Remove me": the app that holds the photo is asked to delete it within 48 hours."""

    http_method_names = ["post"]

    def post(self, request, sighting_id):
        sighting = _sighting_or_404(request=request, sighting_id=sighting_id)
        try:
            sighting = sighting_removal_request(sighting=sighting)
        except DomainError as error:
            _said(request, sighting, error.detail, level=messages.ERROR)
            return _back_to(sighting)
        due = _in_words(sighting.removal_due_at)
        if sighting.partner is not None:
            said = _("%(app)s has been asked to delete that photo by %(due)s. It is not told who you are.") % {
                "app": sighting.partner.name,
                "due": due,
            }
        else:
            said = _(
                "The privacy team has been asked to delete that photo by %(due)s. Whoever uploaded it is not told who you are."
            ) % {"due": due}
        _said(request, sighting, said)
        return _back_to(sighting)
