"""Webhook URLs must be https and reach only public addresses (no SSRF into our own network)."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from partners.exceptions import WebhookUrlRejected


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_global and not ip.is_multicast


def webhook_url_resolve(*, url: str) -> tuple[str, str, int, str]:
    """Check a webhook URL and resolve it: (scheme, host, port, address to connect to).

    Called when the URL is saved and again at every send, on the address actually connected to,
    so a DNS answer that changes later cannot point us at a private address.
    """
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_URLS
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise WebhookUrlRejected("The webhook URL must be an absolute https URL.")
    if parts.scheme == "http" and not allow_private:
        raise WebhookUrlRejected("The webhook URL must use https.")
    if parts.username or parts.password:
        raise WebhookUrlRejected("The webhook URL must not carry credentials.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise WebhookUrlRejected(f"The webhook host does not resolve ({error.strerror}).") from error
    addresses = [info[4][0] for info in infos]
    if not allow_private and not all(_is_public(a) for a in addresses):
        raise WebhookUrlRejected("The webhook host resolves to a private or reserved address.")
    return parts.scheme, parts.hostname, port, addresses[0]
