"""A browser's User-Agent header in words a person recognises ("Firefox on Linux"), and nothing more precise.

The order matters: Edge and Opera also say "Chrome", Chrome also says "Safari", Android also says "Linux".
"""

import re

from django.utils.translation import gettext as _

_BROWSERS = [
    (r"Edg(e|A|iOS)?/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"SamsungBrowser/", "Samsung Internet"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"Chrome/|CriOS/|Chromium/", "Chrome"),
    (r"Version/[\d.]+.*Safari/", "Safari"),
]
_SYSTEMS = [
    (r"iPhone", "iPhone"),
    (r"iPad", "iPad"),
    (r"Android", "Android"),
    (r"CrOS", "ChromeOS"),
    (r"Windows", "Windows"),
    (r"Mac OS X|Macintosh", "macOS"),
    (r"Linux|X11", "Linux"),
]


def _first(patterns: list[tuple[str, str]], user_agent: str) -> str | None:
    return next((name for pattern, name in patterns if re.search(pattern, user_agent)), None)


def device_label(user_agent: str) -> str:
    """The browser and system a User-Agent names, e.g. "Firefox on Linux"; "Unknown browser" when it names neither."""
    browser, system = _first(_BROWSERS, user_agent or ""), _first(_SYSTEMS, user_agent or "")
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or (_("A browser on %(system)s") % {"system": system} if system else _("Unknown browser"))
