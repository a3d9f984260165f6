"""Face uploads, their keys and access events (the media vault issue)."""
