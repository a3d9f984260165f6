import factory

from consents.models import Channel, ConsentEvent, ConsentState, Purpose, PurposeVersion
from consents.services import ledger_append, purpose_create, purpose_publish_version
from tests.accounts.factories import UserFactory


class PurposeFactory(factory.django.DjangoModelFactory):
    """Purposes are made by `purpose_create`, so version 1 always exists."""

    class Meta:
        model = Purpose

    slug = factory.Sequence(lambda n: f"purpose-{n}")
    title = factory.Faker("sentence", nb_words=4)
    description = factory.Faker("paragraph")
    retention_days = 30
    position = factory.Sequence(int)
    active = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return purpose_create(**kwargs)


class PurposeVersionFactory(factory.django.DjangoModelFactory):
    """A further version, published through `purpose_publish_version`."""

    class Meta:
        model = PurposeVersion

    purpose = factory.SubFactory(PurposeFactory)
    title = factory.Faker("sentence", nb_words=4)
    description = factory.Faker("paragraph")
    retention_days = 30
    requires_reconsent = False
    change_note = "Clarified wording"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return purpose_publish_version(**kwargs)


class ConsentEventFactory(factory.django.DjangoModelFactory):
    """Ledger rows only through `ledger_append`, which also moves the state row."""

    class Meta:
        model = ConsentEvent

    subject = factory.SubFactory(UserFactory)
    purpose = factory.SubFactory(PurposeFactory)
    granted = True
    channel = Channel.WEB
    actor = factory.SelfAttribute("subject")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return ledger_append(**kwargs)


class ConsentStateFactory(factory.django.DjangoModelFactory):
    """A state exists only as the result of an event: made by appending one."""

    class Meta:
        model = ConsentState

    subject = factory.SubFactory(UserFactory)
    purpose = factory.SubFactory(PurposeFactory)
    granted = True

    @classmethod
    def _create(cls, model_class, *, subject, purpose, granted):
        ledger_append(subject=subject, purpose=purpose, granted=granted, channel=Channel.WEB, actor=subject)
        return ConsentState.objects.get(subject=subject, purpose=purpose)
