from django.core.management.base import BaseCommand, CommandError

from consents.checkpoints import CheckpointRefused, ledger_checkpoint_write
from consents.verification import ledger_verify


class Command(BaseCommand):
    help = (
        "Check the consent ledger's hash chains against the newest checkpoint; exit 1 naming the first broken "
        "event. When intact, sign and store a new checkpoint."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-checkpoint", action="store_true", help="Do not write a new checkpoint after an intact check."
        )

    def handle(self, *args, **options):
        result = ledger_verify()
        against = (
            f" against the checkpoint of {result.checkpoint.time}" if result.checkpoint else " (no checkpoint yet)"
        )
        if not result.ok:
            where = f"at event #{result.broken_seq}" if result.broken_seq is not None else "(no event to name)"
            raise CommandError(f"Ledger broken {where}: {result.reason} ({result.checked} events verified{against}).")
        self.stdout.write(self.style.SUCCESS(f"Ledger intact: {result.checked} events verified{against}."))
        if options["no_checkpoint"]:
            return
        try:
            checkpoint = ledger_checkpoint_write()
        except CheckpointRefused as error:  # the ledger changed between the check and now, and not by appending
            raise CommandError(f"Ledger broken at {error}.") from error
        self.stdout.write(f"Checkpoint written: {checkpoint.name} ({checkpoint.payload['events']} events).")
