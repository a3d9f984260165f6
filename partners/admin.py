from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdminMixin
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


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = [
        "webhook_id",
        "partner",
        "event_type",
        "status",
        "attempt_count",
        "created_at",
        "delivered_at",
        "next_attempt_at",
    ]
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
        "retry_from",
        "status",
        "attempt_count",
        "next_attempt_at",
        "delivered_at",
    ]
    fields = readonly_fields
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Redeliver"), permissions=["change"])
    def redeliver(self, request, queryset):
        for event in queryset:
            webhook_redeliver(event=event, actor=request.user)
        messages.info(request, _("Queued %(n)s event(s) for delivery.") % {"n": queryset.count()})
