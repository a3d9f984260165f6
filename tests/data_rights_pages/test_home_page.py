"""The home page: a landing page for visitors, a summary of every app for a subject, a welcome for a new account."""

from datetime import timedelta
from http import HTTPStatus
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Min
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import dateformat, timezone

from consents.models import Purpose
from consents.services import consent_withdraw, purpose_publish_version
from data_rights.services import export_build, export_request
from demo.seed import DEMO_PARTNER, DEMO_PASSWORD, demo_seed
from media_vault.models import AccessEvent, FaceUpload
from partners.models import Link, WebhookEvent
from tests.consents.factories import PurposeFactory
from tests.media_vault.factories import AccessEventFactory
from tests.partners.factories import LinkFactory, PartnerFactory, WebhookEventFactory

pytestmark = pytest.mark.django_db

HOME = "/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def demo():
    """The demo subject of `seed_demo`, a month on: new terms for one purpose, two apps, reads and an export.

    After seeding: 5 purposes, `store-uploads`, `generate-likeness`, `cameos` and `find-me` granted, Cameo Studio
    and Avatar Forge connected, 2 photos, appearances from both.
    Then `generate-likeness` gets terms that need a new decision, the subject withdraws `cameos` (Cameo Studio
    confirms it got that change), a second app could not be told of it, an app opened a photo, and an export is
    ready.
    """
    demo_seed()
    subject = get_user_model().objects.get(email="demo@example.com")
    likeness = Purpose.objects.get(slug="generate-likeness")
    purpose_publish_version(
        purpose=likeness,
        title=likeness.title,
        description=likeness.description,
        retention_days=likeness.retention_days,
        requires_reconsent=True,
    )
    other_app = LinkFactory(subject=subject, partner=PartnerFactory(name="Avatar Lab"))
    consent_withdraw(subject=subject, purpose_slug="cameos", actor=subject)
    demo_link = Link.objects.get(subject=subject, partner__name=DEMO_PARTNER)
    WebhookEvent.objects.filter(link=demo_link).update(
        status=WebhookEvent.Status.DELIVERED, delivered_at=timezone.now()
    )  # as the partner confirmed it
    WebhookEvent.objects.filter(link=other_app).update(status=WebhookEvent.Status.FAILED)
    photo = FaceUpload.objects.filter(subject=subject).order_by("created_at").first()
    AccessEventFactory(
        upload=photo,
        actor_kind=AccessEvent.ActorKind.PARTNER,
        action=AccessEvent.Action.CONTENT,
        partner=demo_link.partner,
    )
    export = export_build(request_id=export_request(subject=subject).pk)
    return SimpleNamespace(subject=subject, demo_link=demo_link, other_app=other_app, export=export)


def test_visitors_get_the_landing_page(client):
    html = client.get(HOME).content.decode()

    assert "Your face, your decision." in html
    assert reverse("account_signup") in html


def test_signing_in_lands_on_the_home_page_not_on_consents(subject, password):
    response = Client().post(reverse("account_login"), {"login": subject.email, "password": password})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == HOME


def test_home_sums_up_what_the_subject_allows_and_what_needs_a_new_decision(demo):
    section = _section(_client(demo.subject).get(HOME), "summary-consents")

    assert "You allow 2 of 5 purposes." in section  # generate-likeness no longer counts until decided again
    assert "Keep my face uploads" in section
    assert "1 purpose needs a new decision:" in section
    assert '<a href="/consents/#purpose-generate-likeness">Generate media with my likeness</a>' in section
    assert "You have not decided on 1 purpose yet." in section  # train-models; cameos is withdrawn
    assert 'href="/consents/"' in section


def test_home_lists_each_connected_app_and_whether_it_has_the_latest_change(demo):
    section = _section(_client(demo.subject).get(HOME), "summary-apps")

    assert DEMO_PARTNER in section
    assert "Avatar Lab" in section
    assert _item(section, f"app-{demo.demo_link.pairwise_id}").count("Has your latest change") == 1
    assert _item(section, f"app-{demo.other_app.pairwise_id}").count("Could not be told") == 1
    assert 'href="/connected-apps/"' in section


def test_home_shows_the_photos_held_and_the_next_deletion_date(demo):
    next_deletion = FaceUpload.objects.filter(subject=demo.subject).aggregate(first=Min("retention_until"))["first"]

    section = _section(_client(demo.subject).get(HOME), "summary-photos")

    assert "2 photos are held about you." in section
    assert f'The next one is deleted on <time datetime="{next_deletion.isoformat()}">' in section
    assert dateformat.format(timezone.localtime(next_deletion), "j M Y") in section
    assert 'href="/uploads/"' in section


def test_home_shows_the_last_three_reads_newest_first(demo):
    photo = FaceUpload.objects.filter(subject=demo.subject).first()
    for _ in range(3):
        AccessEventFactory(upload=photo, actor_kind=AccessEvent.ActorKind.SUBJECT, action=AccessEvent.Action.VIEW)

    section = _section(_client(demo.subject).get(HOME), "summary-activity")

    assert section.count("<li>") == 3
    assert section.count("You: viewed the image") == 3
    assert f"{DEMO_PARTNER}: downloaded the image" not in section  # the oldest of four
    assert 'href="/activity/"' in section


def test_home_names_the_app_that_read_a_photo(demo):
    section = _section(_client(demo.subject).get(HOME), "summary-activity")

    assert f"{DEMO_PARTNER}: downloaded the image" in section


def test_home_shows_the_last_export(demo):
    section = _section(_client(demo.subject).get(HOME), "summary-export")

    expires = dateformat.format(timezone.localtime(demo.export.expires_at), "j M Y")
    assert f"Ready to download until {expires}." in section
    assert 'href="/your-data/"' in section


def test_a_new_account_is_welcomed_with_first_steps_instead_of_a_summary(subject):
    PurposeFactory(slug="avatar")
    PurposeFactory(slug="training")

    html = _client(subject).get(HOME).content.decode()

    assert "Welcome to your face privacy portal" in html
    assert "First steps" in html
    steps = _section_by_class(html, "steps")
    for url in ("/consents/", "/connected-apps/", "/uploads/"):
        assert f'href="{url}"' in steps
    assert "summary-consents" not in html


def test_one_decision_ends_the_welcome(subject):
    PurposeFactory(slug="avatar")
    consent_withdraw(subject=subject, purpose_slug="avatar", actor=subject)

    html = _client(subject).get(HOME).content.decode()

    assert "Welcome to your face privacy portal" not in html
    assert "You allow 0 of 1 purpose." in html
    assert "No app is connected to your account." in html
    assert "No photo of your face is held." in html
    assert "You have not asked for a copy yet." in html


def test_the_home_page_reads_a_fixed_number_of_queries_however_many_apps(demo):
    client = _client(demo.subject)
    client.get(HOME)  # the session's first request: allauth records the browser session once

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(HOME).status_code == HTTPStatus.OK
        return len(captured)

    with_two_apps = queries()
    for _ in range(5):
        WebhookEventFactory(link=LinkFactory(subject=demo.subject))

    assert queries() == with_two_apps <= 16  # session, user, allauth's session tracking, then 5 reads of the page


def test_an_expired_export_reads_as_deleted(demo):
    type(demo.export).objects.filter(pk=demo.export.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    section = _section(_client(demo.subject).get(HOME), "summary-export")

    assert "It was deleted after 7 days." in section


def test_demo_login_lands_on_its_summary(demo):
    client = Client()
    client.post(reverse("account_login"), {"login": demo.subject.email, "password": DEMO_PASSWORD})

    assert 'data-testid="summary-consents"' in client.get(HOME).content.decode()


# --- helpers -----------------------------------------------------------------------------------------
def _section(response, testid: str) -> str:
    """The HTML of the element marked data-testid=`testid` (its start tag up to the next sibling section)."""
    html = response.content.decode()
    start = html.index(f'data-testid="{testid}"')
    end = html.find("</section>", start)
    return html[start:end]


def _item(section: str, testid: str) -> str:
    start = section.index(f'data-testid="{testid}"')
    return section[start : section.index("</li>", start)]


def _section_by_class(html: str, css_class: str) -> str:
    start = html.index(f'class="{css_class}"')
    return html[start : html.index("</ol>", start)]
