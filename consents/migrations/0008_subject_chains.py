"""Proof: the ledger becomes one hash chain per subject (no global lock), keeping every existing event and hash.

Existing events keep hash version 1 and their place in the old chain across all subjects, which still verifies
up to the frozen LedgerHead. Each gets its position in its subject's chain; each subject's chain head starts at
their last existing event, so their next decision links to it. On PostgreSQL new events are numbered from a
sequence that continues after the highest number.
"""

from django.db import migrations, models

from consents.ledger import EVENT_SEQ_SEQUENCE

BATCH = 2000


def chains_from_existing_events(apps, schema_editor):
    ConsentEvent = apps.get_model("consents", "ConsentEvent")
    LedgerChain = apps.get_model("consents", "LedgerChain")
    heads: dict = {}
    pending = []
    for event in ConsentEvent.objects.order_by("seq").only("pk", "seq", "subject_ref", "hash", "created_at").iterator(
        chunk_size=BATCH
    ):
        length, _, _ = heads.get(event.subject_ref, (0, None, None))
        event.chain_seq = length + 1
        heads[event.subject_ref] = (event.chain_seq, event.hash, event.created_at)
        pending.append(event)
        if len(pending) >= BATCH:
            ConsentEvent.objects.bulk_update(pending, ["chain_seq"])
            pending = []
    ConsentEvent.objects.bulk_update(pending, ["chain_seq"])
    LedgerChain.objects.bulk_create(
        [
            LedgerChain(subject_ref=ref, length=length, head_hash=head, updated_at=at)
            for ref, (length, head, at) in heads.items()
        ],
        batch_size=BATCH,
    )


def sequence_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {EVENT_SEQ_SEQUENCE}")
        cursor.execute(
            f"SELECT setval('{EVENT_SEQ_SEQUENCE}', COALESCE((SELECT MAX(seq) FROM consents_consentevent), 0) + 1, false)"
        )


def sequence_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"DROP SEQUENCE IF EXISTS {EVENT_SEQ_SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [
        ("consents", "0007_staff_see_exceptions"),
    ]

    operations = [
        migrations.CreateModel(
            name="LedgerChain",
            fields=[
                (
                    "subject_ref",
                    models.UUIDField(
                        editable=False, primary_key=True, serialize=False, verbose_name="subject reference"
                    ),
                ),
                ("length", models.PositiveBigIntegerField(default=0, verbose_name="events")),
                ("head_hash", models.CharField(max_length=64, verbose_name="head hash")),
                ("updated_at", models.DateTimeField(blank=True, null=True, verbose_name="updated")),
            ],
            options={
                "verbose_name": "ledger chain",
                "verbose_name_plural": "ledger chains",
                "default_permissions": (),
            },
        ),
        # Existing events: version 1. The default then changes to 2 for every new one.
        migrations.AddField(
            model_name="consentevent",
            name="hash_version",
            field=models.PositiveSmallIntegerField(default=1, editable=False, verbose_name="hash version"),
        ),
        migrations.AlterField(
            model_name="consentevent",
            name="hash_version",
            field=models.PositiveSmallIntegerField(default=2, editable=False, verbose_name="hash version"),
        ),
        migrations.AddField(
            model_name="consentevent",
            name="chain_seq",
            field=models.PositiveBigIntegerField(
                editable=False, null=True, verbose_name="position in the subject's chain"
            ),
        ),
        migrations.AddField(
            model_name="consentevent",
            name="expires_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="grant expires"),
        ),
        migrations.RunPython(chains_from_existing_events, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="consentevent",
            name="chain_seq",
            field=models.PositiveBigIntegerField(editable=False, verbose_name="position in the subject's chain"),
        ),
        migrations.AddConstraint(
            model_name="consentevent",
            constraint=models.UniqueConstraint(
                fields=("subject_ref", "chain_seq"), name="consent_event_chain_position_unique"
            ),
        ),
        migrations.RunPython(sequence_create, sequence_drop),
    ]
