from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin import ActionsOnlyAdminMixin, ReadOnlyAdminMixin
from config.errors import DomainError
from partners.models import PARTNER_SCOPES, Link, Partner, WebhookAttempt, WebhookEvent
from partners.outbox import webhook_redeliver
from partners.services import partner_create, partner_set_active, partner_update, partner_webhook_secret_rotate
from partners.url_safety import webhook_url_resolve

_CREDENTIALS_ONCE = (
    "Copy these now, they are not shown again: client_id <code>{}</code>, client_secret <code>{}</code>, "
    "webhook secret <code>{}</code>"
)


class PartnerForm(forms.ModelForm):
    webhook_url = forms.URLField(label=_("Webhook URL"), required=False, max_length=500, assume_scheme="https")
    scopes = forms.MultipleChoiceField(
        label=_("Allowed scopes"),
        choices=[(s, s) for s in PARTNER_SCOPES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Partner
        fields = ["name", "contact_email", "webhook_url", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scopes"].initial = self.instance.scopes if self.instance.pk else PARTNER_SCOPES

    def clean_webhook_url(self):
        url = self.cleaned_data["webhook_url"]
        if url:
            try:
                webhook_url_resolve(url=url)
            except DomainError as error:
                raise forms.ValidationError(error.detail) from error
        return url


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    form = PartnerForm
    list_display = ["name", "active", "webhook_url", "allowed_scopes", "created_at"]
    list_filter = ["active"]
    search_fields = ["name"]
    readonly_fields = ["client_id", "created_at"]
    actions = ["rotate_webhook_secret", "disable_partners"]

    @admin.display(description=_("client id"))
    def client_id(self, obj: Partner) -> str:
        return obj.application.client_id if obj.pk else "—"

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in ("name", "contact_email", "webhook_url", "scopes")}
        if change:
            partner_update(partner=obj, actor=request.user, active=form.cleaned_data["active"], **fields)
            return
        credentials = partner_create(actor=request.user, **fields)
        obj.pk = credentials.partner.pk
        obj.refresh_from_db()
        messages.warning(
            request,
            format_html(
                _CREDENTIALS_ONCE, credentials.client_id, credentials.client_secret, credentials.webhook_secret
            ),
        )

    @admin.action(description=_("Rotate webhook secret (shows the new one once)"), permissions=["change"])
    def rotate_webhook_secret(self, request, queryset):
        for partner in queryset:
            secret = partner_webhook_secret_rotate(partner=partner, actor=request.user)
            messages.warning(request, format_html("New webhook secret for {}: <code>{}</code>", partner.name, secret))

    @admin.action(description=_("Disable (revokes tokens at once)"), permissions=["change"])
    def disable_partners(self, request, queryset):
        for partner in queryset:
            partner_set_active(partner=partner, active=False, actor=request.user)
        messages.info(request, _("Disabled %(n)s partner(s).") % {"n": queryset.count()})


@admin.register(Link)
class LinkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pairwise_id", "partner", "linked_at", "unlinked_at", "last_consent_read_at"]
    list_filter = ["partner"]
    search_fields = ["=pairwise_id"]
    list_select_related = ["partner"]


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = readonly_fields = ["attempted_at", "status_code", "duration_ms", "success", "error"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _when(value) -> str:
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")


# Short words for the list; the filter and the detail page keep the full labels.
_STATUS_SHORT = {
    WebhookEvent.Status.PENDING: _("retrying"),
    WebhookEvent.Status.DELIVERED: _("delivered"),
    WebhookEvent.Status.FAILED: _("failed"),
    WebhookEvent.Status.FEED_ONLY: _("feed only"),
}
# Shown only while an event is being retried; on a delivered, failed or feed-only event they mean nothing.
_PENDING_ONLY_FIELDS = ("next_attempt_at", "retry_window")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ActionsOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["short_id", "event_type", "partner_shown", "status_shown", "tries", "created_at"]
    list_display_links = ["short_id"]
    list_filter = ["status", "event_type", "partner"]
    search_fields = ["=webhook_id"]
    list_select_related = ["partner"]
    readonly_fields = [
        "webhook_id",
        "partner",
        "link",
        "event_type",
        "payload",
        "created_at",
        "status",
        "attempt_count",
        "next_attempt_at",
        "retry_window",
        "delivered_at",
    ]
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]

    def get_fields(self, request, obj=None):
        pending = obj is not None and obj.status == WebhookEvent.Status.PENDING
        return [f for f in self.readonly_fields if pending or f not in _PENDING_ONLY_FIELDS]

    @admin.display(description=_("webhook id"))
    def short_id(self, obj: WebhookEvent) -> str:
        # "msg_" and 8 hex digits of 32; the detail page and the search take the whole id.
        return format_html('<span title="{}">{}</span>', obj.webhook_id, obj.webhook_id[4:12])

    @admin.display(description=_("tries"), ordering="attempt_count")
    def tries(self, obj: WebhookEvent) -> int:
        return obj.attempt_count

    @admin.display(description=_("partner"), ordering="partner__name")
    def partner_shown(self, obj: WebhookEvent) -> str:
        return format_html('<span class="cut" title="{}">{}</span>', obj.partner.name, obj.partner.name)

    @admin.display(description=_("status"), ordering="status")
    def status_shown(self, obj: WebhookEvent) -> str:
        label = _STATUS_SHORT.get(obj.status, obj.status)
        if obj.status == WebhookEvent.Status.PENDING and obj.next_attempt_at:
            when = _when(obj.next_attempt_at)
            return format_html(
                '{}<br><span class="meta">{} <span class="nowrap">{}</span></span>', label, _("next try"), when
            )
        return label

    @admin.display(description=_("retry window"))
    def retry_window(self, obj: WebhookEvent) -> str:
        # `retry_from` opens the window (at the event, or at a redelivery); the event fails when it closes.
        closes = obj.retry_from + timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS)
        return _("from %(opened)s to %(closes)s; marked failed if not delivered by then") % {
            "opened": _when(obj.retry_from),
            "closes": _when(closes),
        }

    @admin.action(description=_("Redeliver"), permissions=["change"])
    def redeliver(self, request, queryset):
        for event in queryset:
            webhook_redeliver(event=event, actor=request.user)
        messages.info(request, _("Queued %(n)s event(s) for delivery.") % {"n": queryset.count()})
