"""An erasure receipt's counts in words (rule 7): one wording for the public receipt page and the receipt email.

The keys are those the erasure steps count (data_rights.erasure and each app's `*_erase_for_subject`); a test
pins that every key they produce has its words here, so no raw key ever reaches a person.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

# In the order the erasure runs; each says what went, for the person it was about.
RECEIPT_WORDS = {
    "face_templates": ngettext_lazy(
        "%(count)s face template (what Find me used to recognise your face)",
        "%(count)s face templates (what Find me used to recognise your face)",
        "count",
    ),
    "sightings": ngettext_lazy(
        "%(count)s place where Find me found your face in someone else's photo",
        "%(count)s places where Find me found your face in other people's photos",
        "count",
    ),
    "face_uploads": ngettext_lazy("%(count)s face photo", "%(count)s face photos", "count"),
    "storage_objects": ngettext_lazy("%(count)s stored file", "%(count)s stored files", "count"),
    "appearances": ngettext_lazy(
        "%(count)s appearance that an app made with your likeness, with its thumbnail",
        "%(count)s appearances that apps made with your likeness, with their thumbnails",
        "count",
    ),
    "exports": ngettext_lazy("%(count)s export of your data", "%(count)s exports of your data", "count"),
    "links": ngettext_lazy(
        "%(count)s connection to an app (a connected app is told to delete what it holds)",
        "%(count)s connections to apps (every connected app is told to delete what it holds)",
        "count",
    ),
    "webhook_payloads": ngettext_lazy(
        "%(count)s stored message to apps about you", "%(count)s stored messages to apps about you", "count"
    ),
    "link_codes": ngettext_lazy("%(count)s code for connecting an app", "%(count)s codes for connecting apps", "count"),
    "access_events": ngettext_lazy(
        "%(count)s entry in the history of who opened your photos and data",
        "%(count)s entries in the history of who opened your photos and data",
        "count",
    ),
    "consent_states": ngettext_lazy(
        "%(count)s current consent decision", "%(count)s current consent decisions", "count"
    ),
    "consent_exceptions": ngettext_lazy(
        "%(count)s decision for one app only", "%(count)s decisions for one app only", "count"
    ),
    "restrictions": ngettext_lazy("%(count)s rule for your likeness", "%(count)s rules for your likeness", "count"),
    "consent_events_anonymised": ngettext_lazy(
        "%(count)s consent decision anonymised (kept in the tamper-evident ledger without any link to you)",
        "%(count)s consent decisions anonymised (kept in the tamper-evident ledger without any link to you)",
        "count",
    ),
    "staff_log_entries": ngettext_lazy(
        "%(count)s entry about you in the staff log", "%(count)s entries about you in the staff log", "count"
    ),
    "account_records": ngettext_lazy(
        "%(count)s sign-in record (email address, two-factor, app token)",
        "%(count)s sign-in records (email addresses, two-factor, app tokens)",
        "count",
    ),
    "sessions": ngettext_lazy("%(count)s signed-in session", "%(count)s signed-in sessions", "count"),
    "data_keys": ngettext_lazy(
        "%(count)s encryption key (without it, no copy anywhere can be read)",
        "%(count)s encryption keys (without them, no copy anywhere can be read)",
        "count",
    ),
    "accounts": ngettext_lazy(
        "%(count)s account (email address and password)", "%(count)s accounts (email addresses and passwords)", "count"
    ),
}
PHOTOS_AND_FILES = _("%(photos)s and their %(files)s (images and thumbnails)")
OTHER_RECORDS = ngettext_lazy("%(count)s other record", "%(count)s other records", "count")


def receipt_lines(*, receipt: dict[str, int], with_zeros: bool = False) -> list[str]:
    """What a receipt counts, in words: every kind (zeros too, as proof, on the page) or only what went (the email)."""
    if not receipt:
        return []
    counts = {key: receipt.get(key, 0) for key in RECEIPT_WORDS}
    words = {key: RECEIPT_WORDS[key] % {"count": count} for key, count in counts.items()}
    if counts["face_uploads"] and counts["storage_objects"]:  # "2 face photos and their 4 stored files"
        words["face_uploads"] = PHOTOS_AND_FILES % {"photos": words["face_uploads"], "files": words["storage_objects"]}
        del words["storage_objects"]
    lines = [text for key, text in words.items() if counts[key] or with_zeros]
    others = sum(count for key, count in receipt.items() if key not in RECEIPT_WORDS)
    if others:  # a step added later without words here still shows, without its raw key
        lines.append(OTHER_RECORDS % {"count": others})
    return lines
