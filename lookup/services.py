"""Lookups for a paying customer (GetEntry, DICT_RULES §6) and the token credit a payment earns.

Our own keys are answered here (a book transfer: DICT refuses to be asked); legal persons'
directory answers come from the cache while it is valid; anything else asks the directory with
the payer's own tax id. Every lookup first reserves tokens in the anti-scan buckets, atomically
for all of them, so a refused lookup never reaches the directory: the payer's bucket for every
lookup, the PSP's bucket (DICT's participant policy) only when the directory is asked.

A directory lookup reserves the worst case, a 404's price, before the directory is asked, and
a found answer gives the difference back in a second atomic settle. Reserving only the found
price and charging the rest after a miss let parallel misses through before any of them was
charged in full, more than DICT allows (DICT_RULES §6: the PSP's limits are never looser than
DICT's). A call our own adapter refused before sending it (DirectoryNotAsked: breaker open,
bulkhead full) gives the whole reservation back, since DICT never saw it; any other failure that
is neither answer (an outage, a timeout) keeps the worst case: DICT may have answered 404.

The give-back is settled last, once the answer is built, and never fails the lookup: if Redis
refuses it, the payer keeps the answer DICT gave and the error is logged (ids only).

DICT's anti-fraud statistics (DICT_RULES §6, IncludeStatistics) are for the PSP's risk engine only,
never for end users. So a lookup asks for them only for a caller holding ``lookup.view_statistics``
that is no customer (no holder): anyone else asking is Forbidden, stricter than silently leaving
them out, so a misconfigured client learns it at once. DICT's PayerId must be the payer of the
payment that follows (MAN §13.1), so a risk engine does not look up as itself: it names the paying
account (``payer_account_id``, one of our open accounts), and the lookup is that payer's like any
other (their bucket and the PSP's charged as for any lookup, counted in their lookups per payment,
the EndToEndId theirs to report the payment with). So it must replace the payment's lookup, never
precede it: a second lookup costs the customer twice and looks like scanning (§13.2). Naming a
payer is allowed only with statistics (a plain lookup in a customer's name is the customer's own
to make), and each statistics lookup is logged with the engine's user id and the account it named.
A statistics
lookup always asks DICT: the legal-person answer cache never serves it (its counters must be
DICT's current ones) and never stores statistics (it keeps the payer's view only, as for any
answer). Our own keys are still answered here, since DICT refuses to be asked for them: that
answer carries no statistics and says why (``StatisticsAbsent.BOOK_TRANSFER``).
"""

import hashlib
import logging
from dataclasses import asdict

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.utils import timezone

from accounts.models import Account, Holder
from common.outages import OUTAGES
from connect.client import get_client
from connect.ports import DirectoryNotAsked
from dict_rules.buckets import PAYER_COST, PAYER_PAYMENT_CREDIT, PSP_COST, PSP_PAYMENT_CREDIT, BucketPolicy, psp_policy
from dict_rules.directory import DirectoryEntry
from dict_rules.errors import BadRequest, EntryCannotBeQueriedForBookTransfer, Forbidden, NotFound, RateLimited
from dict_rules.lookups import PayerView, answer_cache_ttl, new_end_to_end_id, parse_end_to_end_id, payer_view
from dict_rules.tax_ids import PersonType
from keys.selectors import own_entry_view
from lookup.buckets import Charge, get_buckets
from lookup.domain import LookupAnswer, StatisticsAbsent, normalize_lookup_key
from lookup.metrics import count_refusal

logger = logging.getLogger(__name__)

# A payment order may follow a lookup for this long and still earn its tokens back.
END_TO_END_ID_TTL_SEC = 24 * 3600
# Who may ask for DICT's statistics, for a payer it names: the risk engine (backoffice.roles).
STATISTICS_PERMISSION = "lookup.view_statistics"


def lookup_key(
    *, user: AbstractBaseUser, key: str, include_statistics: bool = False, payer_account_id: int | None = None
) -> LookupAnswer:
    """Resolve a key for the user about to pay (or, for a risk engine, for the paying account it names),
    with a fresh EndToEndId for that payment and, when asked, DICT's statistics."""
    payer = (
        _payer(user)
        if not include_statistics and payer_account_id is None
        else _risk_engine_payer(user, payer_account_id, include_statistics=include_statistics)
    )
    key = normalize_lookup_key(key)
    end_to_end_id = new_end_to_end_id(ispb=settings.DICT_ISPB, at=timezone.now())
    view = _own_view(key) if include_statistics else _local_view(key)
    from_directory = view is None
    if from_directory:
        charges = [payer_charge(payer, -PAYER_COST.not_found), psp_charge(-PSP_COST.not_found)]
    else:
        charges = [payer_charge(payer, -PAYER_COST.found)]
    reserved = get_buckets().settle(charges, gated=True)
    if not reserved.allowed:
        count_refusal(charges, reserved)
        logger.warning("lookup refused by the anti-scan limit for payer #%s", payer.pk)
        raise RateLimited("Too many lookups; try again later.", retry_after=reserved.retry_after_sec)
    give_back: list[Charge] = []  # what _directory_entry says the reservation overcharged
    try:
        if from_directory:
            entry = _directory_entry(
                payer=payer,
                key=key,
                end_to_end_id=end_to_end_id,
                include_statistics=include_statistics,
                give_back=give_back,
            )
            view = _directory_view(entry, key=key)
        payment = {"payer": payer.pk, "directory": from_directory}
        cache.set(_payment_cache_key(end_to_end_id), payment, END_TO_END_ID_TTL_SEC)
        statistics = {}
        if include_statistics:
            statistics = (
                {"statistics": entry.statistics}
                if from_directory
                else {"statistics_absent_reason": StatisticsAbsent.BOOK_TRANSFER}
            )
        answer = LookupAnswer(**asdict(view), end_to_end_id=end_to_end_id, **statistics)
    finally:
        if give_back:
            _give_back(give_back, payer=payer, end_to_end_id=end_to_end_id)
    logger.info(
        "lookup %s answered from %s%s",
        end_to_end_id,
        "the directory" if from_directory else "here",
        f" with statistics, for user #{user.pk}" if include_statistics else "",
    )
    return answer


def payment_credit(*, user: AbstractBaseUser, end_to_end_id: str) -> None:
    """A payment order went out for a looked-up EndToEndId: give tokens back as DICT does, once.

    Only the payer who looked it up may report it; anyone else's, an unknown or an expired id is
    NotFound. The record is dropped on use, and only the caller whose delete removed it credits.
    """
    payer = _payer(user)
    record_key = _payment_cache_key(parse_end_to_end_id(end_to_end_id))
    record = cache.get(record_key)
    if not record or record["payer"] != payer.pk or not cache.delete(record_key):
        raise NotFound("No lookup with this end_to_end_id awaits a payment.")
    charges = [payer_charge(payer, PAYER_PAYMENT_CREDIT[PersonType(payer.person_type)])]
    if record["directory"]:
        charges.append(psp_charge(PSP_PAYMENT_CREDIT))
    get_buckets().settle(charges, gated=False)
    logger.info("payment for lookup %s credited", end_to_end_id)


def _payer(user: AbstractBaseUser) -> Holder:
    """The paying customer is always the caller's own holder: its tax id is DICT's PayerId."""
    holder = getattr(user, "holder", None)
    if holder is None:
        raise Forbidden("Only a customer (an account holder) may look up keys.")
    return holder


def _risk_engine_payer(user: AbstractBaseUser, payer_account_id: int | None, *, include_statistics: bool) -> Holder:
    """The payer a risk engine looks up for: the holder of one of our open accounts it names.

    Statistics, and looking up for someone else, are the risk engine's: a caller without the
    permission, or any customer (a user with a holder, whatever its permissions), is Forbidden.
    An engine naming a payer without asking for statistics, or naming an account that is not one
    of our open ones, is BadRequest on the field: NotFound would read as "no such key" to the
    engine, mistaking its own error for a scan signal. Each statistics lookup is logged (ids only).
    """
    if getattr(user, "holder", None) is not None or not user.has_perm(STATISTICS_PERMISSION):
        raise Forbidden(
            "DICT's statistics, and lookups for a named payer, are for the PSP's risk engine only "
            f"({STATISTICS_PERMISSION})."
        )
    if payer_account_id is None:
        raise BadRequest.on_field("payer_account_id", "a risk engine names the paying account (DICT's PayerId).")
    if not include_statistics:
        raise BadRequest.on_field(
            "payer_account_id", "only a statistics lookup (include_statistics=true) may name the paying account."
        )
    account = (
        Account.objects.select_related("holder")
        .filter(pk=payer_account_id, ispb=settings.DICT_ISPB, closed_at__isnull=True)
        .first()
    )
    if account is None:
        raise BadRequest.on_field("payer_account_id", "no open account of ours with this id.")
    logger.info("statistics lookup by user #%s for account #%s", user.pk, account.pk)
    return account.holder


def _local_view(key: str) -> PayerView | None:
    """Our own key (book transfer), or a legal person's directory answer still in the cache."""
    own = _own_view(key)
    if own is not None:
        return own
    cached = cache.get(_answer_cache_key(key))
    return PayerView(**cached) if cached else None


def _own_view(key: str) -> PayerView | None:
    """Our own key (book transfer): DICT refuses to be asked for it, so it is answered here."""
    own = own_entry_view(key)
    if own is None:
        return None
    return payer_view(
        key=own.key,
        key_type=own.key_type,
        person_type=own.person_type,
        tax_id=own.tax_id,
        name=own.name,
        trade_name=own.trade_name,
        ispb=own.ispb,
    )


def _directory_view(entry: DirectoryEntry, *, key: str) -> PayerView:
    """What the payer sees of DICT's answer; a legal person's is cached (the view only, never statistics)."""
    owner = entry.owner
    view = payer_view(
        key=entry.key,
        key_type=entry.key_type,
        person_type=owner.person_type,
        tax_id=owner.tax_id,
        name=owner.name,
        trade_name=owner.trade_name,
        ispb=entry.account.participant,
    )
    ttl = answer_cache_ttl(person_type=owner.person_type, configured_sec=settings.LOOKUP_CACHE_TTL_LEGAL_SEC)
    if ttl:
        cache.set(_answer_cache_key(key), asdict(view), ttl)
    return view


def _give_back(charges: list[Charge], *, payer: Holder, end_to_end_id: str) -> None:
    """Return tokens the reservation overcharged; an outage here costs the payer them, not the answer."""
    try:
        get_buckets().settle(charges, gated=False)
    except OUTAGES as error:
        logger.warning(
            "lookup %s: could not give payer #%s their tokens back (%s)", end_to_end_id, payer.pk, type(error).__name__
        )


def _directory_entry(
    *, payer: Holder, key: str, end_to_end_id: str, include_statistics: bool, give_back: list[Charge]
) -> DirectoryEntry:
    """Ask the directory, a 404's price already reserved. Into ``give_back`` goes what the caller
    returns once the answer is built: all but its own price for a found key (even if mapping it
    then fails), the whole reservation for a call never sent. A miss keeps the whole reservation
    and is never cached."""
    try:
        entry = get_client().get_entry(
            key=key, payer_id=payer.tax_id, end_to_end_id=end_to_end_id, include_statistics=include_statistics
        )
    except EntryCannotBeQueriedForBookTransfer:
        # DICT holds it under our ISPB but it is not ACTIVE here (being deleted, or out of sync).
        logger.warning("lookup %s: the directory says the key is ours, but no active key here", end_to_end_id)
        raise NotFound("No entry for this key.") from None
    except NotFound:
        logger.info("lookup %s: no such key", end_to_end_id)
        raise
    except DirectoryNotAsked:
        give_back += [payer_charge(payer, PAYER_COST.not_found), psp_charge(PSP_COST.not_found)]
        raise
    give_back += [
        payer_charge(payer, PAYER_COST.not_found - PAYER_COST.found),
        psp_charge(PSP_COST.not_found - PSP_COST.found),
    ]
    return entry


def payer_charge(payer: Holder, delta: int) -> Charge:
    """A change of ``delta`` tokens to the payer's anti-scan bucket, under its person type's policy.

    Public so that whoever reads or tops up a payer's bucket (homologation, tests) names the same
    bucket and policy as the lookups do; ``delta=0`` with ``gated=False`` only refills and reads.
    """
    if payer.person_type == PersonType.LEGAL_PERSON:
        policy = BucketPolicy(
            capacity=settings.LOOKUP_PAYER_LEGAL_CAPACITY, refill_tokens=settings.LOOKUP_PAYER_LEGAL_REFILL_PER_MIN
        )
    else:
        policy = BucketPolicy(
            capacity=settings.LOOKUP_PAYER_NATURAL_CAPACITY,
            refill_tokens=settings.LOOKUP_PAYER_NATURAL_REFILL_PER_MIN,
        )
    return Charge(bucket=f"payer:{payer.pk}", policy=policy, delta=delta)


def psp_charge(delta: int) -> Charge:
    """A change of ``delta`` tokens to the PSP's bucket (DICT's participant policy for our category)."""
    return Charge(bucket=f"psp:{settings.DICT_ISPB}", policy=psp_policy(settings.LOOKUP_PSP_CATEGORY), delta=delta)


def _answer_cache_key(key: str) -> str:
    """Keys are PII: the cache key holds a hash, never the key itself."""
    return "lookup:answer:" + hashlib.sha256(key.encode()).hexdigest()


def _payment_cache_key(end_to_end_id: str) -> str:
    return f"lookup:payment:{end_to_end_id}"
