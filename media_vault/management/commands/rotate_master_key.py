from django.core.management.base import BaseCommand

from media_vault.crypto import current_master_key_id
from media_vault.services import data_keys_rewrap


class Command(BaseCommand):
    help = "Re-wrap every subject's data key under the first key of MEDIA_MASTER_KEYS (then the old one can go)."

    def handle(self, *args, **options):
        count = data_keys_rewrap()
        self.stdout.write(f"Re-wrapped {count} data keys under master key '{current_master_key_id()}'.")
