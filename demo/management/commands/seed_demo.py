from django.core.management.base import BaseCommand, CommandError

from config.errors import DomainError
from demo.seed import DEMO_SUBJECTS, demo_reset, demo_seed


class Command(BaseCommand):
    help = (
        "Create idempotent demo data: purposes, two demo subjects, their consents, two demo partners, face uploads, "
        "appearances, and the demo subject's face templates with one sighting of them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Put the demo back as seeded: erase the demo subjects through the erasure service, restore the demo "
            "purposes and partners, seed again. Nobody else's data is touched.",
        )

    def handle(self, *args, **options):
        try:
            result = demo_reset() if options["reset"] else demo_seed()
        except DomainError as error:  # e.g. a worker is erasing a demo subject right now
            raise CommandError(error.detail) from error
        if options["reset"]:
            self.stdout.write(
                f"Demo reset ({result.subjects_erased} demo subjects erased, {result.purposes_restored} purposes and "
                f"{result.partners_restored} partners restored)."
            )
        self.stdout.write(
            f"Demo data ready ({result.purposes_created} purposes, {result.subjects_created} subjects, "
            f"{result.partners_created} partners, {result.uploads_created} face uploads, "
            f"{result.appearances_created} appearances and {result.exceptions_created} per-app exceptions created)."
        )
        self.stdout.write(
            f"Find me: {result.templates_created} face templates and {result.sightings_created} sightings created."
        )
        for spec in DEMO_SUBJECTS:
            self.stdout.write(f"Demo login: {spec['email']} / password: {result.password}")
