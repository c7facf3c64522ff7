"""What the gRPC end-to-end test needs done inside a deployment it cannot reach over the API:
run with the deployment's environment as ``python -m tests.e2e_grpc_world <step> [args]``.

    prepare          alice's TOTP device, keys of another PSP to claim; prints JSON for the test
    claim KEY TYPE   another PSP claims our KEY (PORTABILITY: alice's own; OWNERSHIP: a stranger's),
                     then our poll picks the claim up
    at_dict KEY      the account number DICT holds for our KEY, and the one our lookup's own-key view shows

Another PSP (participant 99999901) is played by calling the directory's services directly,
which is possible because this deployment's directory is the in-process one.
"""

import json
import os
import sys
import uuid
from datetime import UTC, datetime

import django


def _other_psp_account():
    from dict_rules.directory import BankAccount

    opened = datetime(2023, 1, 1, tzinfo=UTC)
    return BankAccount(participant=OTHER_PSP, branch="1", number="777", account_type="CACC", opening_date=opened)


def prepare() -> dict:
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts import dict_view
    from dict_rules.directory import EntryRequest, Owner
    from dictsim import services as directory
    from tests.factories import new_cpf, new_phone

    users = get_user_model().objects.select_related("holder")
    alice, bob = users.get(username="alice"), users.get(username="bob")
    # Tolerance 3: four codes (this step and the next three) for the test's four TOTP calls.
    device = TOTPDevice.objects.create(user=alice, name="app", confirmed=True, tolerance=3)
    phone, email = new_phone(), f"alice.{uuid.uuid4().hex[:8]}@example.com"
    stranger = Owner(person_type="NATURAL_PERSON", tax_id=new_cpf(), name="Joao Souza", trade_name="")
    for key_type, key, owner in (("PHONE", phone, stranger), ("EMAIL", email, dict_view.owner(alice.holder))):
        request = EntryRequest(
            key_type=key_type, key=key, owner=owner, account=_other_psp_account(), request_id=uuid.uuid4()
        )
        directory.entry_create(participant=OTHER_PSP, request=request)
    savings = alice.holder.accounts.order_by("pk")[1]
    return {
        "alice": str(AccessToken.for_user(alice)),
        "bob": str(AccessToken.for_user(bob)),
        "account": alice.holder.accounts.order_by("pk").first().pk,
        "savings": savings.pk,
        "savings_number": savings.number,
        "totp_key": device.key,
        "phone_elsewhere": phone,
        "email_elsewhere": email,
    }


def claim(key: str, claim_type: str) -> dict:
    from accounts import dict_view
    from claims.services import claims_poll
    from dict_rules.directory import ClaimRequest, Owner
    from dictsim import claims as directory_claims
    from keys.models import Entry
    from tests.factories import new_cpf

    entry = Entry.objects.select_related("account__holder").get(key_value=key, status="ACTIVE")
    if claim_type == "PORTABILITY":
        claimer = dict_view.owner(entry.account.holder)
    else:
        claimer = Owner(person_type="NATURAL_PERSON", tax_id=new_cpf(), name="Joao Souza", trade_name="")
    request = ClaimRequest(
        claim_type=claim_type,
        key=key,
        key_type=entry.key_type,
        claimer_account=_other_psp_account(),
        claimer=claimer,
    )
    remote = directory_claims.claim_create(participant=OTHER_PSP, request=request)
    claims_poll()
    return {"dict_id": str(remote.id)}


def at_dict(key: str) -> dict:
    from dictsim.models import DirEntry
    from tests.factories import own_entry_view

    return {"dict": DirEntry.objects.get(key=key).account_number, "lookup": own_entry_view(key).account_number}


OTHER_PSP = "99999901"
STEPS = {"prepare": prepare, "claim": claim, "at_dict": at_dict}

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dict_project.settings")
    django.setup()
    print(json.dumps(STEPS[sys.argv[1]](*sys.argv[2:])))
