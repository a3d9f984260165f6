"""The shape of the Activity page: every app's activity selector returns `ActivityItem`s for one subject, read
through an `ActivityWindow`; data_rights merges them newest first. Here because every app can import accounts.

A page is the newest `limit` items older than a cursor. Items are ordered by (at, source, key): `source` names
the table an item comes from and `key` is its primary key there, so two items of the same moment still have a
fixed order and a cursor never skips or repeats one.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _


class ActivityKind:
    """What an item is about; the Activity page filters on these."""

    PHOTOS = "photos"
    DELETIONS = "deletions"
    CONSENTS = "consents"
    DELIVERIES = "deliveries"
    SIGN_INS = "sign_ins"
    REQUESTS = "requests"

    CHOICES = [
        (PHOTOS, _("Photos opened")),
        (DELETIONS, _("Photos deleted")),
        (CONSENTS, _("Consent changes")),
        (DELIVERIES, _("What apps were told")),
        (SIGN_INS, _("Sign-ins")),
        (REQUESTS, _("Exports and erasure")),
    ]
    ALL = frozenset(value for value, _label in CHOICES)


@dataclass(frozen=True, slots=True)
class ActivityItem:
    """One thing that happened with the subject's data, in words: `text` says what, `detail` adds why or how it went."""

    at: datetime
    kind: str
    text: str
    source: str
    key: int | uuid.UUID
    partner_id: int | None = None  # the app it is about, if any
    app: str = ""  # that app's name, filled in by the reader that merges the sources
    detail: str = ""
    url: str = ""  # where to see more (an upload that still exists)
    flag: str = ""  # a short marker worth noticing, e.g. "New device"

    @property
    def cursor(self) -> "ActivityCursor":
        return ActivityCursor(at=self.at, source=self.source, key=str(self.key))

    def sort_key(self) -> tuple:
        return (self.at, self.source, self.key)


@dataclass(frozen=True, slots=True)
class ActivityCursor:
    """Where a page of activity ended: the next page holds only items older than this one."""

    at: datetime
    source: str
    key: str

    def encode(self) -> str:
        return f"{self.at.isoformat()}~{self.source}~{self.key}"

    @classmethod
    def decode(cls, value: str | None) -> "ActivityCursor | None":
        """The cursor a page link carries; None for a missing or malformed one (the page starts from the newest)."""
        try:
            at, source, key = (value or "").split("~")
            when = datetime.fromisoformat(at)
        except ValueError:
            return None
        if when.tzinfo is None or not source or not key:
            return None
        return cls(at=when, source=source, key=key)


@dataclass(frozen=True, slots=True)
class ActivityWindow:
    """Which rows each source reads for one page: the newest `limit` older than `cursor`, about one app or about any."""

    limit: int
    cursor: ActivityCursor | None = None
    partner_id: int | None = None

    def rows(self, queryset: QuerySet, *, source: str, at: str = "created_at", key: str = "pk") -> QuerySet:
        """`queryset` cut to this window: older than the cursor in (at, source, key) order, newest first, `limit` rows."""
        cursor = self.cursor
        if cursor is not None:
            if source < cursor.source:  # at the cursor's moment, this source's rows come before the cursor's
                queryset = queryset.filter(**{f"{at}__lte": cursor.at})
            elif source > cursor.source:
                queryset = queryset.filter(**{f"{at}__lt": cursor.at})
            else:
                try:
                    same_moment = Q(**{at: cursor.at, f"{key}__lt": cursor.key})
                    queryset = queryset.filter(Q(**{f"{at}__lt": cursor.at}) | same_moment)
                except (
                    ValueError,
                    TypeError,
                    ValidationError,
                ):  # a key of the wrong type: treat it as the moment's end
                    queryset = queryset.filter(**{f"{at}__lt": cursor.at})
        return queryset.order_by(f"-{at}", f"-{key}")[: self.limit]
