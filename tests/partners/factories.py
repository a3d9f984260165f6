import factory

from partners.models import Link, LinkCode, Partner, WebhookAttempt, WebhookEvent
from partners.outbox import webhook_enqueue
from partners.services import link_code_create, partner_create
from tests.accounts.factories import UserFactory


class PartnerFactory(factory.django.DjangoModelFactory):
    """Partners are registered through `partner_create`; the plaintext secrets ride along on the instance."""

    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner app {n}")
    webhook_url = ""
    contact_email = factory.Faker("email")
    scopes = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        credentials = partner_create(**kwargs)
        partner = credentials.partner
        partner.client_id = credentials.client_id
        partner.client_secret = credentials.client_secret
        return partner


class LinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Link

    partner = factory.SubFactory(PartnerFactory)
    subject = factory.SubFactory(UserFactory)


class LinkCodeFactory(factory.django.DjangoModelFactory):
    """A link code made by `link_code_create`; the plaintext code rides along as `.code`."""

    class Meta:
        model = LinkCode

    subject = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *, subject, now=None):
        link_code, code = link_code_create(subject=subject, now=now)
        link_code.code = code
        return link_code


class WebhookEventFactory(factory.django.DjangoModelFactory):
    """An outbox row written by `webhook_enqueue`."""

    class Meta:
        model = WebhookEvent

    link = factory.SubFactory(LinkFactory)
    event_type = "consent.granted"
    data = factory.Dict({"purpose": "store-uploads"})

    @classmethod
    def _create(cls, model_class, *, link, event_type, data):
        return webhook_enqueue(link=link, event_type=event_type, data=data)


class WebhookAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookAttempt

    event = factory.SubFactory(WebhookEventFactory)
    status_code = 200
    duration_ms = 12
    success = True
