"""Factories for data requests. A real request goes through `export_request` / `erasure_request`; these make
the row alone, for tests that need a job without the request's side effects (a disabled account, a queued task).

DataRequestFactory(export=True, subject=s), DataRequestFactory(erasure=True, subject=s)
"""

import factory

from data_rights.models import DataRequest
from tests.accounts.factories import UserFactory


class DataRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataRequest

    subject = factory.SubFactory(UserFactory)
    kind = DataRequest.Kind.EXPORT
    status = DataRequest.Status.QUEUED

    class Params:
        export = factory.Trait(kind=DataRequest.Kind.EXPORT)
        erasure = factory.Trait(kind=DataRequest.Kind.ERASURE, notify_email=factory.SelfAttribute("subject.email"))
