from django.core.management.base import BaseCommand, CommandError

from consents.services import ledger_verify


class Command(BaseCommand):
    help = "Check the consent ledger's hash chain; exit 1 naming the first broken event."

    def handle(self, *args, **options):
        result = ledger_verify()
        if not result.ok:
            raise CommandError(
                f"Ledger broken at event #{result.broken_seq}: {result.reason} ({result.checked} events verified before it)."
            )
        self.stdout.write(self.style.SUCCESS(f"Ledger intact: {result.checked} events verified."))
