"""Proof: signed ledger checkpoints outside the database catch what the hash chains alone cannot: a dropped tail
and a chain rewritten with recomputed hashes and head rows (and the three simpler tamperings too, 5/5)."""

import base64
import hashlib
import json
from io import StringIO

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from joserfc import jws
from joserfc.jwk import KeySet

from consents.checkpoints import (
    CHECKPOINT_DIR,
    CheckpointRefused,
    checkpoint_latest,
    ledger_checkpoint_write,
)
from consents.ledger import chain_leaf, hash_of_event, merkle_root
from consents.models import ConsentEvent, ConsentState, LedgerChain
from consents.services import consent_withdraw
from consents.tasks import ledger_checkpoint
from consents.verification import ledger_verify
from tests.conftest import RECEIPT_TEST_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(ledger):
    """The five events of tests/consents/conftest.py by order of making, 1..5: the subject's chain is the 1st, 3rd,
    4th and 5th (positions 1-4), the other subject's the 2nd."""
    return dict(enumerate(ledger, start=1))


@pytest.fixture
def checkpointed(ledger):
    ledger_checkpoint_write()
    return ledger


def _stored_checkpoints() -> list[str]:
    storage = storages["default"]
    try:
        days, _ = storage.listdir(CHECKPOINT_DIR)
    except FileNotFoundError:
        return []
    return [f"{day}/{name}" for day in days if day != "heads" for name in storage.listdir(f"{CHECKPOINT_DIR}/{day}")[1]]


def _public_keys() -> KeySet:
    from consents.receipt_keys import receipt_jwks

    return KeySet.import_key_set(receipt_jwks())


def _chain_head_fix(subject_ref) -> None:
    """What an attacker who can write the database does after changing a chain: make the head row agree."""
    last = ConsentEvent.objects.filter(subject_ref=subject_ref).order_by("-chain_seq").first()
    LedgerChain.objects.filter(subject_ref=subject_ref).update(length=last.chain_seq, head_hash=last.hash)


def _rehash_from(event: ConsentEvent) -> None:
    """Recompute the hash of `event` and of every later event in its chain, as a careful attacker would."""
    prev_hash = event.prev_hash
    for later in ConsentEvent.objects.filter(subject_ref=event.subject_ref, chain_seq__gte=event.chain_seq).order_by(
        "chain_seq"
    ):
        later.prev_hash = prev_hash
        later.hash = hash_of_event(later)
        ConsentEvent.objects.filter(pk=later.pk).update(prev_hash=later.prev_hash, hash=later.hash)
        prev_hash = later.hash
    _chain_head_fix(event.subject_ref)


# --- Writing and reading ------------------------------------------------------------------------------------


def test_a_checkpoint_signs_every_chain_head_and_is_stored_outside_the_database(ledger, subject, other_subject):
    checkpoint = ledger_checkpoint_write()

    assert checkpoint.name.startswith(f"{CHECKPOINT_DIR}/")
    assert storages["default"].exists(checkpoint.name)
    token = jws.deserialize_compact(checkpoint.jws, _public_keys(), algorithms=["EdDSA"])
    payload = json.loads(token.payload)
    assert token.headers()["typ"] == "ledger-checkpoint+jws"
    assert (payload["events"], payload["chains"]) == (5, 2)
    heads = sorted(
        [
            (str(subject.ledger_ref), 4, ledger[5].hash),
            (str(other_subject.ledger_ref), 1, ledger[2].hash),
        ]
    )
    assert payload["root"] == merkle_root([chain_leaf(*head) for head in heads])
    assert checkpoint_latest().payload == payload


def test_verify_ledger_checks_against_the_newest_checkpoint_and_writes_a_new_one(checkpointed):
    out = StringIO()
    call_command("verify_ledger", stdout=out)

    assert "Ledger intact: 5 events verified against the checkpoint of" in out.getvalue()
    assert "Checkpoint written" in out.getvalue()
    assert len(_stored_checkpoints()) == 2


def test_the_beat_task_writes_a_checkpoint_at_least_every_ten_minutes(ledger):
    schedule = settings.CELERY_BEAT_SCHEDULE["ledger-checkpoint"]
    assert schedule["task"] == "consents.tasks.ledger_checkpoint"
    assert schedule["schedule"] <= 600

    ledger_checkpoint.apply()  # the task itself, here and now (CI's real worker would run it elsewhere, later)

    assert len(_stored_checkpoints()) == 1


def test_the_list_of_heads_is_written_again_only_when_the_ledger_changed(checkpointed, subject):
    ledger_checkpoint_write()
    heads_files = storages["default"].listdir(f"{CHECKPOINT_DIR}/heads")[1]
    assert len(heads_files) == 1

    consent_withdraw(subject=subject, purpose_slug=checkpointed[1].purpose_slug, actor=subject)
    ledger_checkpoint_write()
    assert len(storages["default"].listdir(f"{CHECKPOINT_DIR}/heads")[1]) == 2


def test_a_checkpoint_whose_signature_does_not_hold_is_not_trusted(checkpointed):
    first = checkpoint_latest()
    storage = storages["default"]
    forged = json.loads(storage.open(first.name).read())
    header, body, signature = forged["jws"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["events"] = 99
    forged["jws"] = ".".join(
        [header, base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("="), signature]
    )
    storage.save(f"{CHECKPOINT_DIR}/9999-12-31/99991231T000000.000000Z.json", ContentFile(json.dumps(forged)))

    assert checkpoint_latest().name == first.name


def test_checkpoints_signed_with_a_retired_key_still_verify(checkpointed, settings):
    newer = "test-2:" + base64.b64encode(hashlib.sha256(b"the next receipt key").digest()).decode()
    settings.RECEIPT_SIGNING_KEYS = [newer, RECEIPT_TEST_KEY]

    assert checkpoint_latest() is not None
    assert ledger_verify().ok


# --- Five tamperings, five catches ---------------------------------------------------------------------------


def _edit_payload(ledger):
    ConsentEvent.objects.filter(pk=ledger[3].pk).update(granted=True)


def _delete_middle_event(ledger):
    ConsentEvent.objects.filter(pk=ledger[3].pk).delete()


def _swap_events(ledger):
    # the 3rd and 4th trade places in the subject's chain (positions 2 and 3)
    ConsentEvent.objects.filter(pk=ledger[3].pk).update(chain_seq=1000)
    ConsentEvent.objects.filter(pk=ledger[4].pk).update(chain_seq=2)
    ConsentEvent.objects.filter(pk=ledger[3].pk).update(chain_seq=3)


def _drop_tail(ledger):
    ConsentState.objects.filter(last_event=ledger[5]).delete()
    ConsentEvent.objects.filter(pk=ledger[5].pk).delete()
    _chain_head_fix(ledger[5].subject_ref)


def _rewrite_chain(ledger):
    edited = ConsentEvent.objects.get(pk=ledger[3].pk)
    ConsentEvent.objects.filter(pk=edited.pk).update(granted=True)
    edited.refresh_from_db()
    _rehash_from(edited)


TAMPERINGS = [
    pytest.param(_edit_payload, 3, True, id="edited-payload"),
    pytest.param(_delete_middle_event, 4, True, id="deleted-middle-event"),
    pytest.param(_swap_events, 3, True, id="swapped-events"),
    pytest.param(_drop_tail, 4, False, id="dropped-tail"),
    pytest.param(_rewrite_chain, 5, False, id="rewritten-chain-and-head"),
]


@pytest.mark.parametrize(("tamper", "named_event", "chains_alone_catch_it"), TAMPERINGS)
def test_verify_ledger_catches_the_tampering_against_the_checkpoint(
    checkpointed, tamper, named_event, chains_alone_catch_it
):
    tamper(checkpointed)

    result = ledger_verify()

    named = checkpointed[named_event].seq
    assert (result.ok, result.broken_seq) == (False, named)
    with pytest.raises(CommandError, match=rf"#{named}\b") as excinfo:
        call_command("verify_ledger", stdout=StringIO())
    assert excinfo.value.returncode == 1
    assert len(_stored_checkpoints()) == 1  # nothing new was signed over the tampered ledger


@pytest.mark.parametrize(("tamper", "named_event", "chains_alone_catch_it"), TAMPERINGS)
def test_without_a_checkpoint_only_some_tamperings_are_caught(ledger, tamper, named_event, chains_alone_catch_it):
    tamper(ledger)

    assert ledger_verify().ok is not chains_alone_catch_it


@pytest.mark.parametrize(("tamper", "named_event", "chains_alone_catch_it"), TAMPERINGS[3:])
def test_the_next_checkpoint_is_refused_after_a_rewrite(checkpointed, tamper, named_event, chains_alone_catch_it):
    tamper(checkpointed)

    with pytest.raises(CheckpointRefused):
        ledger_checkpoint_write()
    assert len(_stored_checkpoints()) == 1


def test_appending_after_a_checkpoint_is_not_tampering(checkpointed, subject, other_subject):
    consent_withdraw(subject=subject, purpose_slug=checkpointed[1].purpose_slug, actor=subject)
    consent_withdraw(subject=other_subject, purpose_slug=checkpointed[1].purpose_slug, actor=other_subject)

    assert ledger_verify().ok
    assert ledger_checkpoint_write().payload["events"] == 7


# --- Published -----------------------------------------------------------------------------------------------


def test_the_public_checkpoint_is_served_and_verifies_against_the_published_keys(checkpointed, client):
    written = checkpoint_latest()

    response = client.get("/.well-known/ledger-checkpoint.json")

    assert response.status_code == 200
    body = response.json()
    keys = KeySet.import_key_set(client.get("/.well-known/jwks.json").json())
    token = jws.deserialize_compact(body["checkpoint"], keys, algorithms=["EdDSA"])
    assert json.loads(token.payload)["root"] == body["root"] == written.payload["root"]
    assert body["events"] == 5
    assert "heads" not in body  # subject references stay in storage
    assert "public" in response["Cache-Control"]


def test_before_the_first_checkpoint_the_public_one_is_not_found(db, client):
    response = client.get("/.well-known/ledger-checkpoint.json")

    assert response.status_code == 404
