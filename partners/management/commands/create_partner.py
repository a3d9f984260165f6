import json

from django.core.management.base import BaseCommand, CommandError

from config.errors import DomainError
from partners.models import PARTNER_SCOPES
from partners.services import partner_create


class Command(BaseCommand):
    help = "Register a partner app; prints JSON with client_id, client_secret and webhook_secret (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--webhook-url", default="")
        parser.add_argument("--contact-email", default="")
        parser.add_argument(
            "--scopes",
            default=None,
            help=f"Space- or comma-separated scopes to allow (default: all of {' '.join(PARTNER_SCOPES)}).",
        )

    def handle(self, *args, name, webhook_url, contact_email, scopes, **options):
        chosen = None
        if scopes is not None:
            chosen = list(dict.fromkeys(scopes.replace(",", " ").split()))
            unknown = [scope for scope in chosen if scope not in PARTNER_SCOPES]
            if unknown or not chosen:
                raise CommandError(
                    f"Unknown or no scopes: {' '.join(unknown)}; choose from {' '.join(PARTNER_SCOPES)}."
                )
        try:
            credentials = partner_create(name=name, webhook_url=webhook_url, contact_email=contact_email, scopes=chosen)
        except DomainError as error:
            raise CommandError(error.detail) from error
        self.stdout.write(
            json.dumps(
                {
                    "client_id": credentials.client_id,
                    "client_secret": credentials.client_secret,
                    "webhook_secret": credentials.webhook_secret,
                },
                indent=2,
            )
        )
