from dataclasses import dataclass, field
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.messages.storage.base import Message
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView, View

from config.errors import DomainError
from consents.checkpoints import PUBLIC_CACHE_SECONDS, checkpoint_public
from consents.exceptions import InvalidExpiry, ReceiptNotFound
from consents.forms import (
    EXPIRY_END_OF_DAY,
    ConsentAppDecisionForm,
    ConsentDecisionForm,
    Duration,
    RestrictionsForm,
    expiry_days_offered,
)
from consents.hooks import WithdrawalImpact, connected_apps_for
from consents.models import Channel, ConsentStateName
from consents.receipt_keys import receipt_jwks
from consents.receipts import RECEIPT_MEDIA_TYPE, receipt_get
from consents.selectors import (
    ConsentRow,
    connected_app_get,
    consent_answer_for_app,
    consent_answers_by_app,
    consent_history_for_subject,
    consent_states_for_subject,
    consent_status_get,
    consent_withdrawal_impact,
    purpose_get_active,
    purposes_withdrawn_by_gpc_for_subject,
    restriction_list_active,
    restriction_slugs_for_subject,
)
from consents.services import consent_decide, consent_exception_remove, consent_exception_set, restrictions_set

CARD_TAG = "purpose:"  # a message's extra tag naming the purpose card it belongs in
RESTRICTIONS_TAG = "restrictions"  # a message's extra tag for the likeness rules section


def expiry_in_words(expires_at: datetime) -> str:
    """When a grant ends, in words: "31 Dec 2026" for the end of a day, else "8 Dec 2026, 19:13" (site time)."""
    local = timezone.localtime(expires_at)
    return formats.date_format(local, "j M Y" if local.time() == EXPIRY_END_OF_DAY else "j M Y, H:i")


@dataclass(frozen=True, slots=True)
class ExpiryRefusal:
    """The end chosen for a grant was refused: which card, what the person chose, and why."""

    purpose_slug: str
    form: ConsentDecisionForm
    error: str


@dataclass(frozen=True, slots=True)
class PurposeCard:
    """One purpose's card: its status, the messages about it, and its question of how long a grant lasts."""

    status: ConsentRow
    notes: list
    duration: str  # the option checked: the grant's current kind, or what the person just chose
    until: str = ""  # the last day typed (kept when it was refused), as yyyy-mm-dd
    expiry_error: str = ""  # why the chosen end was refused: the question opens and points at it
    apps: list = field(default_factory=list)  # per-app exceptions: each connected app's answer (AppAnswer)

    @property
    def apps_excepted(self) -> int:
        """How many apps have their own answer: the per-app list opens when any has."""
        return sum(1 for answer in self.apps if answer.own)

    @property
    def ends(self) -> str:
        return expiry_in_words(self.status.expires_at) if self.status.expires_at else ""


def purpose_card(
    *, status: ConsentRow, notes: list, refused: ExpiryRefusal | None, apps: list | None = None
) -> PurposeCard:
    """The card of one purpose, with each connected app's answer; after a refused end, with what the person chose
    and why it was refused."""
    apps = apps or []
    if refused is not None and refused.purpose_slug == status.purpose_slug:
        return PurposeCard(
            status=status,
            notes=notes,
            duration=refused.form.data.get("duration") or Duration.OPEN,
            until=refused.form.data.get("until", ""),
            expiry_error=refused.error,
            apps=apps,
        )
    expiring = status.granted and status.expires_at is not None
    return PurposeCard(
        status=status, notes=notes, duration=Duration.UNTIL_DAY if expiring else Duration.OPEN, apps=apps
    )


def consent_page_context(*, request, refused: ExpiryRefusal | None = None) -> dict:
    """The page's cards, each with the messages about its own card, so feedback shows where the person looks."""
    statuses = consent_states_for_subject(subject=request.user)
    notes = list(messages.get_messages(request))
    cards = {CARD_TAG + status.purpose_slug for status in statuses} | {RESTRICTIONS_TAG}
    page_notes = [n for n in notes if n.extra_tags not in cards]  # general ones, or a card not shown
    if refused and CARD_TAG + refused.purpose_slug not in cards:
        page_notes.append(Message(messages.ERROR, refused.error))
    chosen = set(restriction_slugs_for_subject(subject=request.user))
    first_day, last_day = expiry_days_offered(now=timezone.now())
    by_app = consent_answers_by_app(subject=request.user, rows=statuses)
    app_names = {app.link_ref: app.name for app in connected_apps_for(subject=request.user)}
    return {
        "restrictions": [(r, r.slug in chosen) for r in restriction_list_active()],
        "restriction_notes": [n for n in notes if n.extra_tags == RESTRICTIONS_TAG],
        "gpc_purposes": purposes_withdrawn_by_gpc_for_subject(subject=request.user),
        "cards": [
            purpose_card(
                status=status,
                notes=[n for n in notes if n.extra_tags == CARD_TAG + status.purpose_slug],
                refused=refused,
                apps=by_app[status.purpose_slug],
            )
            for status in statuses
        ],
        "page_messages": page_notes,
        "reconsent_needed": [s for s in statuses if s.state == ConsentStateName.RECONSENT_REQUIRED],
        # Each decision with the app it was for (a per-app exception), or None for all apps.
        "history": [
            (event, app_names.get(event.link_ref, _("an app")) if event.link_ref is not None else None)
            for event in consent_history_for_subject(subject=request.user)[:100]
        ],
        "durations": Duration.CHOICES,
        "expiry_first_day": first_day.isoformat(),
        "expiry_last_day": last_day.isoformat(),
        "time_zone": timezone.get_current_timezone_name(),
    }


class ConsentListView(LoginRequiredMixin, TemplateView):
    """Every purpose in plain language, its state, one control to change it, and the history."""

    template_name = "consents/consent_list.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **consent_page_context(request=self.request)}


def uploads_in_words(impact: WithdrawalImpact) -> tuple[str, str]:
    """What would go, in words: ("2 photos", "1 you uploaded, 1 held by Cameo Studio")."""
    parts = [_("%(n)s you uploaded") % {"n": impact.own_uploads}] if impact.own_uploads else []
    parts += [_("%(n)s held by %(app)s") % {"n": n, "app": app} for app, n in impact.uploads_by_app.items()]
    total = ngettext("%(n)s photo", "%(n)s photos", impact.uploads_to_erase) % {"n": impact.uploads_to_erase}
    return total, ", ".join(parts)


def find_me_in_words(impact: WithdrawalImpact) -> str:
    """What withdrawing find-me forgets, as a sentence ("" when nothing): "Your 2 face templates are destroyed and
    the 3 sightings found so far are forgotten." """
    parts = []
    if impact.face_templates:
        parts.append(
            ngettext(
                "your %(n)s face template is destroyed",
                "your %(n)s face templates are destroyed",
                impact.face_templates,
            )
            % {"n": impact.face_templates}
        )
    if impact.sightings:
        parts.append(
            ngettext(
                "the %(n)s sighting found so far is forgotten",
                "the %(n)s sightings found so far are forgotten",
                impact.sightings,
            )
            % {"n": impact.sightings}
        )
    if not parts:
        return ""
    said = _("%(first)s and %(second)s") % {"first": parts[0], "second": parts[1]} if len(parts) == 2 else parts[0]
    return said[0].upper() + said[1:] + "."


def _decided_message(event, impact: WithdrawalImpact | None, expires_at: datetime | None = None) -> str:
    """What the page says after a decision: the purpose in words, where it now stands, and what goes."""
    if event.granted and expires_at:
        said = _("“%(title)s” is now granted until %(end)s.") % {
            "title": event.purpose.title,
            "end": expiry_in_words(expires_at),
        }
    else:
        verb = _("granted") if event.granted else _("withdrawn")
        said = _("“%(title)s” is now %(verb)s.") % {"title": event.purpose.title, "verb": verb}
    return said + _deletion_said(impact)


def _deletion_said(impact: WithdrawalImpact | None) -> str:
    """What a decision deletes, as sentences after it ("" when nothing goes): photos, then find-me's records."""
    if not impact:
        return ""
    said = ""
    if impact.uploads_to_erase:
        total, parts = uploads_in_words(impact)
        said += " " + ngettext(
            "%(total)s is being deleted for good: %(parts)s.",
            "%(total)s are being deleted for good: %(parts)s.",
            impact.uploads_to_erase,
        ) % {"total": total, "parts": parts}
    if find_me := find_me_in_words(impact):
        said += " " + find_me
    return said


def _expiry_refused_text(error: InvalidExpiry, form: ConsentDecisionForm) -> str:
    """The service's reason, and for a day the person picked, which days they can pick."""
    if form.cleaned_data.get("duration") != Duration.UNTIL_DAY:
        return error.detail
    first, last = expiry_days_offered(now=timezone.now())
    return f"{error.detail} " + _("Choose a last day from %(first)s to %(last)s.") % {
        "first": formats.date_format(first, "j M Y"),
        "last": formats.date_format(last, "j M Y"),
    }


class ConsentDecideView(LoginRequiredMixin, View):
    """Form post -> consent_decide -> back to the page; a withdrawal that would erase anything asks first."""

    http_method_names = ["post"]

    def post(self, request, purpose: str):
        form = ConsentDecisionForm(request.POST)
        if not form.is_valid():
            if "decision" not in form.errors and form.expiry_errors:
                return self.expiry_refused(
                    request, ExpiryRefusal(purpose_slug=purpose, form=form, error=form.expiry_errors[0])
                )
            messages.error(request, next(iter(form.errors.values()))[0], extra_tags=CARD_TAG + purpose)
            return self.consent_page_or_section(request, purpose)
        try:
            expires_at = form.expires_at(now=timezone.now())
            impact = None if form.granted else consent_withdrawal_impact(subject=request.user, purpose_slug=purpose)
            if impact is not None and not form.confirms(impact):
                return self.confirmation(request, purpose, impact)
            event = consent_decide(
                subject=request.user,
                purpose_slug=purpose,
                granted=form.granted,
                channel=Channel.WEB,
                actor=request.user,
                expires_at=expires_at,
            )
        except InvalidExpiry as error:
            return self.expiry_refused(
                request, ExpiryRefusal(purpose_slug=purpose, form=form, error=_expiry_refused_text(error, form))
            )
        except DomainError as error:
            messages.error(request, error.detail, extra_tags=CARD_TAG + purpose)
        else:
            messages.success(request, _decided_message(event, impact, expires_at), extra_tags=CARD_TAG + purpose)
        return self.consent_page_or_section(request, purpose)

    def expiry_refused(self, request, refused: ExpiryRefusal):
        """The chosen end was refused and nothing changed: the page again, the person's choice kept, the reason
        at the question (there is nothing to redirect back to that would keep what they typed)."""
        context = consent_page_context(request=request, refused=refused)
        if request.htmx:
            return render(request, "consents/_consent_main.html", context)
        return render(request, "consents/consent_list.html", context)

    def confirmation(self, request, purpose: str, impact: WithdrawalImpact):
        """Nothing erased by surprise: a page without JavaScript, a dialog in the purpose's card with htmx."""
        status = next(s for s in consent_states_for_subject(subject=request.user) if s.purpose_slug == purpose)
        total, parts = uploads_in_words(impact)
        context = {
            "status": status,
            "impact": impact,
            "uploads_total": total,
            "uploads_parts": parts,
            "find_me_said": find_me_in_words(impact),
        }
        if not request.htmx:
            return render(request, "consents/withdraw_confirm.html", context)
        response = render(request, "consents/_withdraw_confirm.html", {**context, "in_dialog": True})
        response["HX-Retarget"], response["HX-Reswap"] = f"#confirm-{purpose}", "innerHTML"
        return response

    def consent_page_or_section(self, request, purpose: str):
        """htmx swaps in the updated section; without JavaScript the browser goes back to the purpose's card."""
        if request.htmx:
            return render(request, "consents/_consent_main.html", consent_page_context(request=request))
        return redirect(reverse("consents:consent_list") + f"#purpose-{purpose}")


class RestrictionsUpdateView(LoginRequiredMixin, View):
    """Form post -> restrictions_set -> back to the rules section (htmx swaps the section in place)."""

    http_method_names = ["post"]

    def post(self, request):
        form = RestrictionsForm(request.POST, restrictions=restriction_list_active())
        if not form.is_valid():
            messages.error(request, next(iter(form.errors.values()))[0], extra_tags=RESTRICTIONS_TAG)
        else:
            try:
                restrictions_set(subject=request.user, slugs=form.cleaned_data["restrictions"], actor=request.user)
            except DomainError as error:
                messages.error(request, error.detail, extra_tags=RESTRICTIONS_TAG)
            else:
                messages.success(request, _("Your rules for your likeness are saved."), extra_tags=RESTRICTIONS_TAG)
        if request.htmx:
            return render(request, "consents/_consent_main.html", consent_page_context(request=request))
        return redirect(reverse("consents:consent_list") + "#restrictions")


class ConsentAppDecideView(LoginRequiredMixin, View):
    """Per-app exceptions, as a plain form post: allow a purpose in one app, refuse it there, or let the app follow
    the decision for all apps again. An answer that turns to no and would erase or take anything down asks first.
    Back to the purpose's card, or to the app on the Connected apps page."""

    http_method_names = ["post"]

    def post(self, request, purpose: str, link_id: str):
        form = ConsentAppDecisionForm(request.POST)
        back_to_apps = request.POST.get("back") == ConsentAppDecisionForm.BACK_TO_APPS
        back = (
            redirect(reverse("partners:connected_apps") + f"#app-{link_id}")
            if back_to_apps
            else redirect(reverse("consents:consent_list") + f"#purpose-{purpose}")
        )
        tag = "" if back_to_apps else CARD_TAG + purpose
        try:
            app = connected_app_get(subject=request.user, link_id=link_id)
            found = purpose_get_active(purpose_slug=purpose)
            if not form.is_valid():
                messages.error(request, next(iter(form.errors.values()))[0], extra_tags=tag)
                return back
            decision = form.cleaned_data["decision"]
            impact = self._impact_if_turning_to_no(request, found, app, decision)
            if impact is not None and not form.confirms(impact):
                total, parts = uploads_in_words(impact)
                return render(
                    request,
                    "consents/app_withdraw_confirm.html",
                    {
                        "app": app,
                        "purpose": found,
                        "decision": decision,
                        "back": form.cleaned_data["back"],
                        "impact": impact,
                        "uploads_total": total,
                        "uploads_parts": parts,
                    },
                )
            if decision == ConsentAppDecisionForm.FOLLOW:
                consent_exception_remove(
                    subject=request.user, purpose_slug=purpose, link_ref=app.link_ref, actor=request.user
                )
            else:
                consent_exception_set(
                    subject=request.user,
                    purpose_slug=purpose,
                    link_ref=app.link_ref,
                    granted=form.granted,
                    channel=Channel.WEB,
                    actor=request.user,
                )
        except DomainError as error:
            messages.error(request, error.detail, extra_tags=tag)
            return back
        answer = consent_answer_for_app(subject=request.user, purpose=found, app=app)
        messages.success(request, _app_answer_message(answer, found, impact), extra_tags=tag)
        return back

    @staticmethod
    def _impact_if_turning_to_no(request, purpose, app, decision: str) -> WithdrawalImpact | None:
        """What this answer would erase or take down: only when the app may use the purpose now and would not."""
        if decision == ConsentAppDecisionForm.ALLOW:
            return None
        if not consent_answer_for_app(subject=request.user, purpose=purpose, app=app).granted:
            return None
        if (
            decision == ConsentAppDecisionForm.FOLLOW
            and consent_status_get(subject=request.user, purpose=purpose).granted
        ):
            return None
        return consent_withdrawal_impact(subject=request.user, purpose_slug=purpose.slug, link_ref=app.link_ref)


def _app_answer_message(answer, purpose, impact: WithdrawalImpact | None) -> str:
    values = {"app": answer.app.name, "title": purpose.title}
    if not answer.own:
        said = _("%(app)s now follows your choice for all apps on “%(title)s”.") % values
    elif answer.granted:
        said = _("“%(title)s” is now allowed in %(app)s, whatever you choose for other apps.") % values
    else:
        said = _("“%(title)s” is now not allowed in %(app)s, whatever you choose for other apps.") % values
    return said + _deletion_said(impact)


class ConsentReceiptDownloadView(LoginRequiredMixin, View):
    """Proof: one of the person's signed consent receipts, as a file to keep (`<purpose>-<seq>.jws`)."""

    def get(self, request, event_id: int):
        try:
            receipt = receipt_get(subject=request.user, event_id=event_id)
        except ReceiptNotFound as error:
            raise Http404(str(error)) from error
        response = HttpResponse(receipt.jws, content_type=RECEIPT_MEDIA_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{receipt.filename}"'
        return response


RECEIPT_KEYS_MAX_AGE = 3600


class ReceiptKeysView(View):
    """Proof: the public keys that verify consent receipts (JWKS), old ones included; anyone may cache them."""

    def get(self, request):
        response = JsonResponse(receipt_jwks())
        patch_cache_control(response, public=True, max_age=RECEIPT_KEYS_MAX_AGE)
        return response


class LedgerCheckpointView(View):
    """Proof: the newest signed ledger checkpoint's public part (the JWS, its time, counts and Merkle root), so
    anyone may keep copies and later prove a rewrite. Verify the JWS against /.well-known/jwks.json."""

    def get(self, request):
        public = checkpoint_public()
        if public is None:
            return JsonResponse({"detail": "No ledger checkpoint has been written yet."}, status=404)
        response = JsonResponse(public)
        patch_cache_control(response, public=True, max_age=PUBLIC_CACHE_SECONDS)
        return response
