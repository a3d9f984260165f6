"""The export archive of DESIGN.md, produced as a stream: memory does not grow with the number of uploads."""

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils import timezone
from stream_zip import ZIP_64, stream_zip

from data_rights.export_index import export_index_context

SCHEMA_VERSION = 1


def _json_bytes(value) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder).encode()


class _Hashing:
    """Wrap a member's chunks so its SHA-256 and size are known once it has been streamed."""

    def __init__(self, chunks: Iterable[bytes]):
        self._chunks = chunks
        self.sha256 = hashlib.sha256()
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self.sha256.update(chunk)
            self.size += len(chunk)
            yield chunk


def archive_stream(
    *,
    sections: dict,
    images: Iterable[tuple[str, Iterable[bytes]]],
    now: datetime | None = None,
    purpose_titles: Mapping[str, str] | None = None,
):
    """Yield the ZIP's bytes: the JSON sections, each image, index.html, then manifest.json with every hash.

    `sections` maps file names (profile.json, ...) to JSON-able values; `images` yields (path, chunks)
    one at a time, so only one image is in memory at once. `purpose_titles` (slug to title) lets index.html
    name purposes that are no longer offered; the current ones are named by consents.json itself.
    """
    now = now or timezone.now()
    hashed: dict[str, _Hashing] = {}

    def member(path: str, chunks: Iterable[bytes]):
        wrapped = _Hashing(chunks)
        hashed[path] = wrapped
        return (path, now, 0o600, ZIP_64, wrapped)

    def members():
        for path, value in sections.items():
            yield member(path, [_json_bytes(value)])
        for path, chunks in images:
            yield member(path, chunks)
        index = render_to_string(
            "data_rights/export_index.html",
            export_index_context(sections=sections, purpose_titles=purpose_titles or {}, generated_at=now),
        )
        yield member("index.html", [index.encode()])
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "generated_at": now.isoformat(),
            "subject": {
                "email": sections["profile.json"].get("email"),
                "subject_ref": sections["profile.json"].get("subject_ref"),
            },
            "files": {path: {"sha256": h.sha256.hexdigest(), "size": h.size} for path, h in hashed.items()},
        }
        yield ("manifest.json", now, 0o600, ZIP_64, [_json_bytes(manifest)])

    yield from stream_zip(members())
