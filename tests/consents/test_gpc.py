"""Global Privacy Control: a sign-up sending `Sec-GPC: 1` has sale-or-sharing purposes recorded as withdrawn."""

import pytest
from django.urls import reverse

from accounts.models import User
from consents.models import Channel, ConsentEvent, ConsentState
from consents.services import consent_grant
from tests.consents.factories import PurposeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def purposes():
    return {
        "cameos": PurposeFactory(slug="cameos", title="Let other people use my likeness", sale_or_sharing=True),
        "train-models": PurposeFactory(slug="train-models", title="Train models on my face", sale_or_sharing=True),
        "avatar": PurposeFactory(slug="avatar", sale_or_sharing=False),
        "retired": PurposeFactory(slug="retired-sale", sale_or_sharing=True, active=False),
    }


def _sign_up(client, password: str, **headers):
    email = "gpc.subject@example.org"
    client.post(
        reverse("account_signup"), {"email": email, "password1": password, "password2": password}, headers=headers
    )
    return User.objects.get(email=email)


def test_a_sign_up_with_gpc_records_each_sale_or_sharing_purpose_withdrawn_with_channel_gpc(client, password, purposes):
    user = _sign_up(client, password, **{"Sec-GPC": "1"})

    events = ConsentEvent.objects.filter(subject=user)
    assert {(e.purpose_slug, e.granted, e.channel) for e in events} == {
        ("cameos", False, Channel.GPC),
        ("train-models", False, Channel.GPC),
    }
    assert set(ConsentState.objects.filter(subject=user).values_list("purpose__slug", flat=True)) == {
        "cameos",
        "train-models",
    }


def test_a_sign_up_without_gpc_records_nothing(client, password, purposes):
    user = _sign_up(client, password)

    assert not ConsentEvent.objects.filter(subject=user).exists()


def test_the_consent_page_says_the_signal_was_honoured_while_the_gpc_decisions_stand(client, password, purposes):
    user = _sign_up(client, password, **{"Sec-GPC": "1"})
    client.force_login(user)

    page = client.get(reverse("consents:consent_list")).content.decode()

    assert "Your browser's Global Privacy Control signal was honoured" in page
    assert "Train models on my face" in page.split('data-testid="gpc-notice"', 1)[1].split("</section>", 1)[0]

    consent_grant(subject=user, purpose_slug="cameos", actor=user)
    consent_grant(subject=user, purpose_slug="train-models", actor=user)
    page = client.get(reverse("consents:consent_list")).content.decode()

    assert "Global Privacy Control signal was honoured" not in page
