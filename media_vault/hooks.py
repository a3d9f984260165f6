"""What the media vault announces, for the apps above it (registered in their `AppConfig.ready()`).

`upload_stored` runs inside the transaction that stores a new face upload, so a subscriber can queue work for
after the commit (find-me compares its faces) and a rolled-back upload queues nothing.
"""

from collections.abc import Callable

from consents.hooks import Hook

upload_stored: Hook[Callable[[object], None]] = Hook("upload_stored")


def upload_stored_announce(*, upload) -> None:
    """Tell every subscriber about one new face upload, in the caller's transaction."""
    for subscriber in upload_stored.subscribers():
        subscriber(upload)
