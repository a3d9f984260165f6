"""Sign-ins are recorded for the Activity page (accounts.adapter): the kind of browser only, a new one marked."""

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from accounts.devices import device_label
from accounts.models import SignIn
from tests.accounts.factories import (
    CHROME_ON_ANDROID,
    CHROME_ON_WINDOWS,
    EDGE_ON_WINDOWS,
    FIREFOX_ON_LINUX,
    SAFARI_ON_IPHONE,
)

pytestmark = pytest.mark.django_db


def _sign_in(subject, password, user_agent: str) -> Client:
    client = Client(HTTP_USER_AGENT=user_agent)
    response = client.post(reverse("account_login"), {"login": subject.email, "password": password})
    assert response.status_code == HTTPStatus.FOUND
    return client


@pytest.mark.parametrize(
    ("user_agent", "label"),
    [
        (FIREFOX_ON_LINUX, "Firefox on Linux"),
        (SAFARI_ON_IPHONE, "Safari on iPhone"),
        (CHROME_ON_WINDOWS, "Chrome on Windows"),
        (EDGE_ON_WINDOWS, "Edge on Windows"),
        (CHROME_ON_ANDROID, "Chrome on Android"),
        ("curl/8.5.0", "Unknown browser"),
        ("", "Unknown browser"),
    ],
)
def test_a_user_agent_is_named_by_its_browser_and_system(user_agent, label):
    assert device_label(user_agent) == label


def test_signing_in_records_the_device_and_marks_only_a_new_one(subject, password):
    _sign_in(subject, password, FIREFOX_ON_LINUX)
    _sign_in(subject, password, FIREFOX_ON_LINUX)
    _sign_in(subject, password, SAFARI_ON_IPHONE)

    rows = list(SignIn.objects.filter(subject=subject).order_by("created_at").values_list("device", "new_device"))
    assert rows == [("Firefox on Linux", True), ("Firefox on Linux", False), ("Safari on iPhone", True)]


def test_a_failed_sign_in_records_nothing(subject):
    Client().post(reverse("account_login"), {"login": subject.email, "password": "not-the-password"})

    assert not SignIn.objects.exists()


def test_a_device_seen_for_someone_else_is_still_new_for_this_person(subject, other_subject, password):
    _sign_in(other_subject, password, FIREFOX_ON_LINUX)
    _sign_in(subject, password, FIREFOX_ON_LINUX)

    assert SignIn.objects.get(subject=subject).new_device is True
