from django.core.management.base import BaseCommand

from demo.seed import DEMO_SUBJECTS, demo_seed


class Command(BaseCommand):
    help = "Create idempotent demo data: purposes, two demo subjects, their consents, a demo partner, face uploads."

    def handle(self, *args, **options):
        result = demo_seed()
        self.stdout.write(
            f"Demo data ready ({result.purposes_created} purposes, {result.subjects_created} subjects, "
            f"{int(result.partner_created)} partner and {result.uploads_created} face uploads created)."
        )
        for spec in DEMO_SUBJECTS:
            self.stdout.write(f"Demo login: {spec['email']} / password: {result.password}")
