"""What the archive's index.html shows: the archive's own JSON sections in the portal's words (rule 5).

The JSON files keep the contract's codes (`not_asked`, slugs, full ids, the ledger's global `seq`) for
machines; the page a person opens offline shows titles, states and actors in words, short ids, and their
decisions numbered 1, 2, 3. Every label comes from the code that already names it (the models' choices), so
the page says what the portal's pages say.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from allauth.mfa.models import Authenticator
from django.db import models
from django.utils.dateparse import parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from appearances.models import Appearance
from appearances.selectors import OVERDUE, appearance_status_shown
from consents.models import Channel, ConsentEvent, ConsentStateName
from data_rights.models import DataRequest
from find_me.selectors import SIMILARITY_WORDS, STATUS_WORDS
from media_vault.models import AccessEvent
from partners.models import SCOPE_MEANING_FOR_SUBJECT

SHORT_ID = 8  # as the portal shows uploads ("Photo 1a2b3c4d"); the full id stays one click or hover away
SHORT_HASH = 12  # a hash is checked by eye against consents.json; 12 hex digits tell neighbours apart


def _label(choices: type[models.TextChoices], value: str | None) -> str:
    """The choice's label with a capital, or the value itself if a newer archive holds a code this one lacks."""
    if value is None:
        return ""
    try:
        return capfirst(str(choices(value).label))
    except ValueError:
        return value


def _short(value: str | None, length: int = SHORT_ID) -> str:
    return (value or "")[:length]


def _who(*, kind: str, partner: str | None) -> dict[str, Any]:
    """Shaped as media_vault/_access_who.html reads an access event, so both pages name people alike."""
    return {
        "actor_kind": kind,
        "partner": {"name": partner} if partner else None,
        "get_actor_kind_display": _label(AccessEvent.ActorKind, kind),
    }


def _appearance(a: Mapping[str, Any], *, title, generated_at: datetime) -> dict[str, Any]:
    """One appearance as the Appearances page shows it; a takedown past its deadline when the copy was made is
    overdue, by the same rule as the page."""
    status = appearance_status_shown(
        appearance=Appearance(status=a["status"], takedown_due_at=a["takedown_due_at"]), now=generated_at
    )
    return {
        "id": a["id"],
        "short_id": _short(a["id"]),
        "title": a["title"],
        "app": a["app"],
        "kind": _label(Appearance.Kind, a["kind"]),
        "kind_word": str(Appearance.Kind(a["kind"]).label) if a["kind"] in Appearance.Kind.values else a["kind"],
        "made_by": _label(Appearance.MadeBy, a["made_by"]),
        "purposes": [title(slug) for slug in a["purposes"]],
        "created_at": a["created_at"],
        "status": status,
        "status_label": _("Overdue") if status == OVERDUE else _label(Appearance.Status, status),
        "takedown_requested_at": a["takedown_requested_at"],
        "takedown_due_at": a["takedown_due_at"],
        "taken_down_at": a["taken_down_at"],
        "takedown_reason": _label(Appearance.TakedownReason, a["takedown_reason"]),
        "thumbnail": a.get("thumbnail"),
    }


def _moment(value: datetime | str | None) -> datetime | None:
    """A time of find_me.json, which holds them as ISO 8601 text (the other sections hold datetimes)."""
    return parse_datetime(value) if isinstance(value, str) else value


def _words(words: Mapping[str, Any], code: str | None) -> str:
    """Find-me's own words for a code (as its Found you page says it), or the code if a newer archive holds another."""
    return capfirst(str(words[code])) if code in words else (code or "")


def _find_me(section: Mapping[str, Any], *, in_archive: set[str]) -> dict[str, Any]:
    """The face templates (when each was made, from which of the person's photos; never the template) and the
    sightings of the person's face in other people's photos (never that photo), in find-me's words."""
    return {
        "templates": [
            {
                "made_at": _moment(t["made_at"]),
                "short_id": _short(t["id"]),
                "upload_id": t["from_upload_id"],
                "upload_short_id": _short(t["from_upload_id"]),
                "upload_in_archive": t["from_upload_id"] in in_archive,
            }
            for t in section.get("face_templates", [])
        ],
        "sightings": [
            {
                "id": s["id"],
                "short_id": _short(s["id"]),
                "found_at": _moment(s["found_at"]),
                "app": s["app"],
                "similarity": _words(SIMILARITY_WORDS, s["similarity"]),
                "status": s["status"],
                "status_label": _words(STATUS_WORDS, s["status"]),
                "removal_due_at": _moment(s["removal_due_at"]),
            }
            for s in section.get("sightings", [])
        ],
    }


def export_index_context(
    *, sections: Mapping[str, Any], purpose_titles: Mapping[str, str], generated_at: datetime
) -> dict[str, Any]:
    """The template context of index.html, built only from the sections written to the archive."""
    profile = sections["profile.json"]
    consents = sections["consents.json"]
    titles = {**{c["purpose"]: c["title"] for c in consents["current"]}, **purpose_titles}

    def title(slug: str) -> str:
        return titles.get(slug, slug)

    uploads = [
        {
            "id": u["id"],
            "short_id": _short(u["id"]),
            "file": u["file"],
            # Shaped as media_vault/_source.html reads an upload.
            "source": {"partner": {"name": u["partner"]} if u["partner"] else None},
            "purposes": [title(slug) for slug in u["purposes"]],
            "created_at": u["created_at"],
            "retention_until": u["retention_until"],
            "faces_detected": u["faces_detected"],
            "width": u["width"],
            "height": u["height"],
            "format": u["format"],
            "size_bytes": u["size_bytes"],
        }
        for u in sections["uploads.json"]
    ]
    in_archive = {u["id"] for u in uploads}
    return {
        "generated_at": generated_at,
        "profile": {
            "email": profile["email"],
            "display_name": profile["display_name"],
            "date_joined": profile["date_joined"],
            "last_login": profile["last_login"],
            "email_addresses": profile.get("email_addresses", []),
            "two_factor": [_label(Authenticator.Type, kind) for kind in profile["two_factor"]],
        },
        "sign_ins": [
            {"at": s["at"], "device": s["device"], "new_device": s["new_device"]} for s in profile.get("sign_ins", [])
        ],
        "sessions": [
            {"started_at": s["started_at"], "last_seen_at": s["last_seen_at"], "ip": s["ip"], "device": s["device"]}
            for s in profile.get("sessions", [])
        ],
        "consents": [
            {
                "title": c["title"],
                "state": c["state"],
                "state_label": _label(ConsentStateName, c["state"]),
                "purpose_version": c["purpose_version"],
                "changed_at": c["changed_at"],
                "expires_at": c.get("expires_at"),
            }
            for c in consents["current"]
        ],
        "exceptions": [
            {
                "title": x["title"],
                "app": x["app"],
                "decision": _label(
                    ConsentStateName, ConsentStateName.GRANTED if x["granted"] else ConsentStateName.WITHDRAWN
                ),
                "changed_at": x["changed_at"],
            }
            for x in consents.get("exceptions", [])
        ],
        # The ledger's `seq` counts everyone's decisions; a person's own are numbered from 1 here.
        "decisions": [
            {
                "number": number,
                "created_at": e["created_at"],
                "title": title(e["purpose"]),
                "granted": e["granted"],
                "decision": _("Follows your choice for all apps")
                if e.get("exception_removed")
                else _label(ConsentStateName, ConsentStateName.GRANTED if e["granted"] else ConsentStateName.WITHDRAWN),
                "app": e.get("app") or (_("an app") if e.get("scope", "all_apps") != "all_apps" else ""),
                "purpose_version": e["purpose_version"],
                "channel": _label(Channel, e["channel"]),
                "actor": ConsentEvent(actor=e["actor"]).actor_display,
                "hash": e["hash"],
                "short_hash": _short(e["hash"], SHORT_HASH),
            }
            for number, e in enumerate(sorted(consents["events"], key=lambda e: e["seq"]), start=1)
        ],
        # Retired restrictions stay in the archive, as the portal keeps them; the page says they are retired.
        "restrictions": [
            {"title": r["title"], "version": r["version"], "active": r["active"], "chosen_at": r["chosen_at"]}
            for r in consents.get("restrictions", [])
        ],
        "uploads": uploads,
        "appearances": [
            _appearance(a, title=title, generated_at=generated_at) for a in sections.get("appearances.json", [])
        ],
        "find_me": _find_me(sections.get("find_me.json", {}), in_archive=in_archive),
        "access_log": [
            {
                "when": a["when"],
                "who": _who(kind=a["who"], partner=a["partner"]),
                "what": _label(AccessEvent.Action, a["what"]),
                "why": a["why"],
                "upload_id": a["upload_id"],
                "upload_short_id": _short(a["upload_id"]),
                "upload_in_archive": a["upload_id"] in in_archive,
            }
            for a in sections["access_log.json"]
        ],
        "apps": [
            {
                "name": p["partner"],
                "subject_id": p["subject_id"],
                "short_subject_id": _short(p["subject_id"]),
                "linked_at": p["linked_at"],
                "unlinked_at": p["unlinked_at"],
                "last_consent_read_at": p["last_consent_read_at"],
                "scopes": [str(SCOPE_MEANING_FOR_SUBJECT.get(scope, scope)) for scope in p["scopes"]],
            }
            for p in sections["partners.json"]
        ],
        "requests": [
            {
                "kind": _label(DataRequest.Kind, r["kind"]),
                "status": _label(DataRequest.Status, r["status"]),
                "created_at": r["created_at"],
                "deadline": r["deadline"],
                "finished_at": r["finished_at"],
                "expires_at": r["expires_at"],
            }
            for r in sections["requests.json"]
        ],
    }
