"""Management commands from DESIGN.md: seed_demo (idempotent demo data)."""

import re
from http import HTTPStatus
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from consents.models import ConsentEvent, Purpose
from consents.selectors import consent_states_for_subject
from consents.verification import ledger_verify

pytestmark = pytest.mark.django_db

DEMO_PURPOSES = {"store-uploads", "generate-likeness", "cameos", "train-models", "find-me"}


def _seed_demo() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _printed_logins(output: str) -> dict[str, str]:
    return dict(re.findall(r"(\S+@\S+)\s*/\s*password:\s*(\S+)", output))


def _counts() -> tuple[int, int, int]:
    return Purpose.objects.count(), get_user_model().objects.count(), ConsentEvent.objects.count()


def test_seed_demo_creates_the_five_purposes():
    _seed_demo()

    assert set(Purpose.objects.filter(active=True).values_list("slug", flat=True)) == DEMO_PURPOSES


def test_seed_demo_twice_changes_nothing_the_second_time():
    _seed_demo()
    first = _counts()

    _seed_demo()

    assert _counts() == first
    assert first[0] == 5
    assert first[1] >= 2
    assert first[2] >= 1


def test_seed_demo_twice_leaves_the_ledger_verifying():
    _seed_demo()
    _seed_demo()

    assert ledger_verify().ok


def test_seed_demo_does_not_recreate_a_purpose_that_already_exists():
    _seed_demo()
    Purpose.objects.filter(slug="cameos").update(title="Edited by staff")

    _seed_demo()

    assert Purpose.objects.get(slug="cameos").title == "Edited by staff"


def test_seed_demo_prints_the_demo_login():
    output = _seed_demo()

    logins = _printed_logins(output)
    assert "demo@example.com" in logins
    assert logins["demo@example.com"]


def test_seed_demo_prints_the_login_again_on_a_second_run():
    first = _printed_logins(_seed_demo())

    second = _printed_logins(_seed_demo())

    assert second == first


def test_seed_demo_creates_demo_subject_and_a_second_subject():
    output = _seed_demo()

    emails = set(_printed_logins(output))
    assert "demo@example.com" in emails
    assert len(emails) >= 2
    assert get_user_model().objects.filter(email__in=emails, is_active=True, is_staff=False).count() == len(emails)


@pytest.mark.parametrize("index", [0, 1])
def test_demo_subjects_can_sign_in_with_the_printed_password(index):
    logins = sorted(_printed_logins(_seed_demo()).items(), key=lambda item: item[0] != "demo@example.com")
    email, password = logins[index]
    client = Client()

    response = client.post("/accounts/login/", {"login": email, "password": password})

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/"
    assert client.get("/").status_code == HTTPStatus.OK


def test_demo_subject_has_some_purposes_granted_and_others_not_asked():
    _seed_demo()
    demo = get_user_model().objects.get(email="demo@example.com")

    states = {status.purpose_slug: status.state for status in consent_states_for_subject(subject=demo)}

    assert set(states) == DEMO_PURPOSES
    assert "granted" in states.values()
    assert "not_asked" in states.values()
