"""Expiring grants on the consent page (/consents/): how long a grant lasts, chosen with a plain form post."""

import re
from datetime import UTC, date, datetime, time, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from consents.models import Channel, ConsentEvent, ConsentState, LedgerHead
from consents.services import consent_decide, consent_grant
from tests.consents.factories import PurposeFactory

pytestmark = pytest.mark.django_db

PAGE_URL = "/consents/"
TITLE = "Let other people use my likeness"


@pytest.fixture
def purpose(db):
    return PurposeFactory(slug="cameos", title=TITLE)


def _grant(client, slug: str, *, follow: bool = False, headers: dict | None = None, **fields):
    """Post the card's grant form as a browser does: the CSRF token from the page, then the fields."""
    client.get(PAGE_URL)
    data = {"csrfmiddlewaretoken": client.cookies["csrftoken"].value, "decision": "grant", **fields}
    return client.post(f"/consents/{slug}/decide/", data, follow=follow, headers=headers or {})


def _state(subject, purpose) -> ConsentState:
    return ConsentState.objects.get(subject=subject, purpose=purpose)


def _ledger() -> tuple[int, int]:
    """What a refused post must leave as it was: the number of events and the head's sequence."""
    head = LedgerHead.objects.first()
    return ConsentEvent.objects.count(), head.last_seq if head else 0


def _in_days(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


# --- Choosing how long -------------------------------------------------------------------------
@pytest.mark.parametrize(("duration", "days"), [("7d", 7), ("30d", 30)])
def test_a_grant_for_some_days_ends_that_many_days_from_now(subject_client, subject, purpose, duration, days):
    before = timezone.now()

    response = _grant(subject_client, purpose.slug, duration=duration)

    after = timezone.now()
    assertRedirects(response, f"{PAGE_URL}#purpose-{purpose.slug}", fetch_redirect_response=False)
    state = _state(subject, purpose)
    assert state.granted is True
    assert before + timedelta(days=days) <= state.expires_at <= after + timedelta(days=days)


def test_a_grant_until_a_day_ends_at_the_end_of_that_day(subject_client, subject, purpose):
    day = _in_days(45)

    _grant(subject_client, purpose.slug, duration="until", until=day.isoformat())

    assert _state(subject, purpose).expires_at == datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def test_the_end_of_the_day_is_in_the_sites_time_zone(subject_client, subject, purpose, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    day = _in_days(45)

    _grant(subject_client, purpose.slug, duration="until", until=day.isoformat())

    expected = datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo("Europe/Berlin"))
    assert _state(subject, purpose).expires_at == expected
    assert expected.astimezone(UTC).hour in (21, 22)  # summer or winter time: not the end of the UTC day


def test_a_grant_without_a_choice_has_no_end(subject_client, subject, purpose):
    _grant(subject_client, purpose.slug)

    state = _state(subject, purpose)
    assert (state.granted, state.expires_at) == (True, None)


def test_the_grant_is_recorded_on_the_web_channel_by_the_subject(subject_client, subject, purpose):
    _grant(subject_client, purpose.slug, duration="7d")

    event = ConsentEvent.objects.get(subject=subject)
    assert (event.granted, event.channel, event.actor) == (True, Channel.WEB, "subject")


def test_the_message_says_until_when(subject_client, purpose):
    day = _in_days(45)

    response = _grant(subject_client, purpose.slug, duration="until", until=day.isoformat(), follow=True)

    assertContains(response, f"“{TITLE}” is now granted until {day.day} {day:%b %Y}.")


# --- Changing the end --------------------------------------------------------------------------
def test_granting_again_with_another_end_replaces_the_end(subject_client, subject, purpose):
    _grant(subject_client, purpose.slug, duration="until", until=_in_days(100).isoformat())
    before = timezone.now()

    _grant(subject_client, purpose.slug, duration="30d")

    state = _state(subject, purpose)
    assert state.granted is True
    assert before + timedelta(days=30) <= state.expires_at <= timezone.now() + timedelta(days=30)


def test_granting_again_until_withdrawn_makes_it_open_ended(subject_client, subject, purpose):
    _grant(subject_client, purpose.slug, duration="7d")

    response = _grant(subject_client, purpose.slug, duration="open", follow=True)

    state = _state(subject, purpose)
    assert (state.granted, state.expires_at) == (True, None)
    assertNotContains(response, 'data-testid="expiry-cameos"')


# --- A refused end changes nothing -------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"duration": "until", "until": "past"}, "The expiry must lie in the future."),
        ({"duration": "until", "until": "beyond"}, "The expiry can be at most three years ahead."),
        ({"duration": "until", "until": "2026-02-30"}, "Enter the last day as a real date"),
        ({"duration": "until", "until": "next friday"}, "Enter the last day as a real date"),
        ({"duration": "until", "until": "31/12/2026"}, "Enter the last day as a real date"),
        ({"duration": "until"}, "Choose the last day, or another option."),
        ({"duration": "7d", "until": "soon"}, "You entered a last day"),
        ({"duration": "open", "until": "soon"}, "You entered a last day"),
        ({"duration": "forever"}, "Choose how long your consent lasts."),
    ],
    ids=[
        "past",
        "more-than-3-years",
        "no-such-day",
        "words",
        "day-first",
        "no-day",
        "7d-and-a-day",
        "open-and-a-day",
        "bad-choice",
    ],
)
def test_a_refused_end_shows_why_and_records_nothing(subject_client, subject, purpose, fields, says):
    # given: an open-ended grant, and a day that is in the past or too far ahead where the case needs one
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)
    days = {"past": _in_days(-1), "beyond": _in_days(3 * 366)}
    fields = {**fields}
    if fields.get("until") in days:
        fields["until"] = days[fields["until"]].isoformat()
    elif fields.get("until") == "soon":
        fields["until"] = _in_days(10).isoformat()
    ledger = _ledger()

    # when
    response = _grant(subject_client, purpose.slug, **fields)

    # then: the page again, with the reason in the card, and nothing recorded
    assert response.status_code == HTTPStatus.OK
    assertContains(response, 'class="expiry-error" id="expiry-error-cameos"')
    assertContains(response, says)
    assert _ledger() == ledger
    state = _state(subject, purpose)
    assert (state.granted, state.expires_at) == (True, None)


def test_a_refused_day_says_which_days_can_be_chosen(subject_client, purpose):
    yesterday = _in_days(-1)

    response = _grant(subject_client, purpose.slug, duration="until", until=yesterday.isoformat())

    today = timezone.localdate()
    assertContains(response, f"Choose a last day from {today.day} {today:%b %Y} to ")


def test_a_refused_end_is_linked_to_its_question_and_keeps_what_was_typed(subject_client, purpose):
    day = _in_days(-3).isoformat()

    response = _grant(subject_client, purpose.slug, duration="until", until=day)

    html = response.content.decode()
    date_input = re.search(r'<input type="date"[^>]*id="until-cameos"[^>]*>', html, re.S).group(0)
    assert f'value="{day}"' in date_input
    assert 'aria-invalid="true"' in date_input
    assert re.search(r'aria-describedby="[^"]*\bexpiry-error-cameos\b', date_input)
    fieldset = re.search(r"<fieldset[^>]*>", html[html.index('id="purpose-cameos"') :]).group(0)
    assert "expiry-error-cameos" in fieldset
    assert re.search(r'id="expiry-error-cameos">The expiry must lie in the future\.', html)
    assert re.search(r'<input type="radio" name="duration" value="until" id="duration-cameos-until" checked>', html)
    assert re.search(r'<details class="expiry-choice" open>', html)


def test_a_refused_end_with_htmx_answers_the_section_with_the_reason(subject_client, subject, purpose):
    ledger = _ledger()

    response = _grant(
        subject_client, purpose.slug, duration="until", until=_in_days(-1).isoformat(), headers={"HX-Request": "true"}
    )

    assert response.status_code == HTTPStatus.OK
    assertNotContains(response, "<html")
    assertContains(response, 'id="expiry-error-cameos"')
    assert _ledger() == ledger
    assert not ConsentState.objects.filter(subject=subject).exists()


def test_the_date_picker_offers_today_to_the_last_day_allowed(subject_client, purpose):
    response = subject_client.get(PAGE_URL)

    today = timezone.localdate()
    assertContains(response, f'min="{today.isoformat()}"')
    last = re.search(r'max="(\d{4}-\d\d-\d\d)"', response.content.decode()).group(1)
    assert date.fromisoformat(last).year == today.year + 3


# --- The page shows the end --------------------------------------------------------------------
def test_the_page_shows_until_which_day_a_grant_lasts(subject_client, subject, purpose):
    day = _in_days(40)
    ends = datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
    consent_decide(subject=subject, purpose_slug=purpose.slug, granted=True, actor=subject, expires_at=ends)

    response = subject_client.get(PAGE_URL)

    assertContains(
        response, f'Granted until <time datetime="{ends.isoformat()}">{day.day} {day:%b %Y}</time>.', html=False
    )


def test_the_page_shows_the_time_when_a_grant_ends_within_a_day(subject_client, subject, purpose):
    ends = (timezone.now() + timedelta(days=7)).replace(hour=14, minute=5, second=0, microsecond=0)
    consent_decide(subject=subject, purpose_slug=purpose.slug, granted=True, actor=subject, expires_at=ends)

    response = subject_client.get(PAGE_URL)

    assertContains(response, f"{ends.day} {ends:%b %Y}, 14:05</time>")


def test_the_page_shows_no_end_for_an_open_ended_grant(subject_client, subject, purpose):
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)

    response = subject_client.get(PAGE_URL)

    assertNotContains(response, "Granted until")


def test_an_expiring_grant_offers_to_change_how_long_it_lasts(subject_client, subject, purpose):
    ends = timezone.now() + timedelta(days=3)
    consent_decide(subject=subject, purpose_slug=purpose.slug, granted=True, actor=subject, expires_at=ends)

    response = subject_client.get(PAGE_URL)

    assertContains(response, "Change how long it lasts")
    assertContains(response, '<input type="radio" name="duration" value="until" id="duration-cameos-until" checked>')
    assertContains(response, '<label for="duration-cameos-open">Until you withdraw it</label>')


def test_every_choice_has_a_label_inside_a_fieldset_with_a_legend(subject_client, purpose):
    response = subject_client.get(PAGE_URL)

    assertContains(response, "<legend>How long should it last?</legend>")
    for value, label in [("open", "Until you withdraw it"), ("7d", "For 7 days"), ("30d", "For 30 days")]:
        assertContains(response, f'<label for="duration-cameos-{value}">{label}</label>')
    assertContains(response, '<label for="until-cameos">Last day</label>')
