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

Where the state lives, and how few round trips it costs, is lookup.store's: the payer (active login,
holder, tax id, person type) comes from their entry read in the same Redis call as the buckets, so
a customer's lookup reads no table at all while Redis is healthy (lookup.payers).

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

import logging
from dataclasses import asdict, replace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from accounts.models import Account
from common.outages import OUTAGES
from common.throttling import counted_on_refusal
from connect.client import get_client
from connect.ports import DirectoryNotAsked
from dict_rules.buckets import PAYER_COST, PAYER_PAYMENT_CREDIT, PSP_COST, PSP_PAYMENT_CREDIT
from dict_rules.directory import DirectoryEntry
from dict_rules.errors import BadRequest, EntryCannotBeQueriedForBookTransfer, Forbidden, NotFound, Unauthenticated
from dict_rules.lookups import PayerView, answer_cache_ttl, new_end_to_end_id, parse_end_to_end_id, payer_view
from dict_rules.tax_ids import PersonType
from keys.own_view import OwnEntryView, own_entry_from_db, refresh_own_entry
from lookup.buckets import get_buckets
from lookup.domain import LookupAnswer, StatisticsAbsent, normalize_lookup_key
from lookup.payers import Payer, payer_of
from lookup.store import NO_USER, NOT_A_CUSTOMER, Begun, Finish, LookupStore, get_lookup_store, payer_charge, psp_charge

logger = logging.getLogger(__name__)

# Who may ask for DICT's statistics, for a payer it names: the risk engine (backoffice.roles).
STATISTICS_PERMISSION = "lookup.view_statistics"


def lookup_key(
    *, user: AbstractBaseUser, key: str, include_statistics: bool = False, payer_account_id: int | None = None
) -> LookupAnswer:
    """Resolve a key for the user about to pay (or, for a risk engine, for the paying account it names),
    with a fresh EndToEndId for that payment and, when asked, DICT's statistics.

    ``user`` needs only its ``pk`` for a customer's lookup (a token's principal will do); a risk
    engine's is loaded from the database, its permissions being needed.
    """
    named = None
    with counted_on_refusal(user.pk):  # the store's script counts every call that gets that far
        if include_statistics or payer_account_id is not None:
            named = _risk_engine_payer(user, payer_account_id, include_statistics=include_statistics)
        key = normalize_lookup_key(key)
    end_to_end_id = new_end_to_end_id(ispb=settings.DICT_ISPB, at=timezone.now())
    store = get_lookup_store()
    begun = store.begin(
        caller_id=user.pk, named=named, key=key, end_to_end_id=end_to_end_id, use_answer_cache=not include_statistics
    )
    found = begun.own or begun.cached
    if found is None:
        found = _directory_entry(
            store, begun, key=key, end_to_end_id=end_to_end_id, include_statistics=include_statistics
        )
    statistics = {}
    if isinstance(found, DirectoryEntry):
        try:
            view = _payer_view_of(found)
        except Exception:  # an answer we cannot map was still DICT's found answer: its price stands
            _finish(store, Finish(begun.payer, key, _FOUND_GIVE_BACK))
            raise
        if include_statistics:
            statistics = {"statistics": found.statistics}
        _finish(store, Finish(begun.payer, key, _FOUND_GIVE_BACK, answer=view, end_to_end_id=end_to_end_id))
    else:
        view = _own_payer_view(found) if isinstance(found, OwnEntryView) else found
        if include_statistics:
            statistics = {"statistics_absent_reason": StatisticsAbsent.BOOK_TRANSFER}
    logger.info(
        "lookup %s answered from %s%s",
        end_to_end_id,
        "the directory" if isinstance(found, DirectoryEntry) else "here",
        f" with statistics, for user #{user.pk}" if include_statistics else "",
    )
    return LookupAnswer(**asdict(view), end_to_end_id=end_to_end_id, **statistics)


def payment_credit(*, user: AbstractBaseUser, end_to_end_id: str) -> None:
    """A payment order went out for a looked-up EndToEndId: give tokens back as DICT does, once.

    Only the payer who looked it up may report it; anyone else's, an unknown or an expired id is
    NotFound. The record is dropped on use, atomically, and only the caller whose take removed it credits.
    """
    holder = getattr(user, "holder", None)
    if holder is None:
        raise Forbidden(NOT_A_CUSTOMER)
    payer = payer_of(holder)
    directory = get_lookup_store().take_payment(parse_end_to_end_id(end_to_end_id), user_id=user.pk)
    if directory is None:
        raise NotFound("No lookup with this end_to_end_id awaits a payment.")
    charges = [payer_charge(payer, PAYER_PAYMENT_CREDIT[PersonType(payer.person_type)])]
    if directory:
        charges.append(psp_charge(PSP_PAYMENT_CREDIT))
    get_buckets().settle(charges, gated=False)
    logger.info("payment for lookup %s credited", end_to_end_id)


def _risk_engine_payer(user: AbstractBaseUser, payer_account_id: int | None, *, include_statistics: bool) -> Payer:
    """The payer a risk engine looks up for: the holder of one of our open accounts it names.

    Statistics, and looking up for someone else, are the risk engine's: a caller without the
    permission, or any customer (a user with a holder, whatever its permissions), is Forbidden.
    An engine naming a payer without asking for statistics, or naming an account that is not one
    of our open ones, is BadRequest on the field: NotFound would read as "no such key" to the
    engine, mistaking its own error for a scan signal. Each statistics lookup is logged (ids only).
    """
    user = _active_user(user)
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
    return payer_of(account.holder)


def _active_user(user: AbstractBaseUser) -> AbstractBaseUser:
    """The caller as a user model instance: a token's principal is loaded (and refused if no longer active)."""
    if isinstance(user, get_user_model()):
        return user
    loaded = get_user_model().objects.select_related("holder").filter(pk=user.pk, is_active=True).first()
    if loaded is None:
        raise Unauthenticated(NO_USER)
    return loaded


def _own_payer_view(own: OwnEntryView) -> PayerView:
    """Our own key (book transfer): DICT refuses to be asked for it, so it is answered here."""
    return payer_view(
        key=own.key,
        key_type=own.key_type,
        person_type=own.person_type,
        tax_id=own.tax_id,
        name=own.name,
        trade_name=own.trade_name,
        ispb=own.ispb,
    )


def _payer_view_of(entry: DirectoryEntry) -> PayerView:
    """What the payer sees of DICT's answer."""
    owner = entry.owner
    return payer_view(
        key=entry.key,
        key_type=entry.key_type,
        person_type=owner.person_type,
        tax_id=owner.tax_id,
        name=owner.name,
        trade_name=owner.trade_name,
        ispb=entry.account.participant,
    )


# What a found answer gives back of the 404's price reserved: all but its own price.
_FOUND_GIVE_BACK = (PAYER_COST.not_found - PAYER_COST.found, PSP_COST.not_found - PSP_COST.found)


def _finish(store: LookupStore, done: Finish) -> None:
    """Give back what the reservation overcharged; a found answer also caches a legal person's view (never
    statistics) and records the EndToEndId for the payment. An outage here costs the payer those tokens
    (and the payment's credit), never the answer."""
    if done.answer is not None:
        ttl = answer_cache_ttl(person_type=done.answer.person_type, configured_sec=settings.LOOKUP_CACHE_TTL_LEGAL_SEC)
        done = replace(done, answer_ttl=ttl)
    try:
        store.finish(done)
    except OUTAGES as error:
        logger.warning(
            "lookup %s: could not give payer #%s their tokens back (%s)",
            done.end_to_end_id or "-",
            done.payer.holder_id,
            type(error).__name__,
        )


def _directory_entry(
    store: LookupStore, begun: Begun, *, key: str, end_to_end_id: str, include_statistics: bool
) -> DirectoryEntry | OwnEntryView:
    """Ask the directory, a 404's price already reserved. A miss keeps the whole reservation and is never
    cached; a call never sent gives it all back. A key DICT says is ours and that is ACTIVE here was
    missing from the own-key view: it is answered here at a found price, and the view mended."""
    try:
        return get_client().get_entry(
            key=key, payer_id=begun.payer.tax_id, end_to_end_id=end_to_end_id, include_statistics=include_statistics
        )
    except EntryCannotBeQueriedForBookTransfer:
        own = own_entry_from_db(key)
        if own is not None:
            logger.warning("lookup %s: our own key was missing from the own-key view; answered here", end_to_end_id)
            refresh_own_entry(key)
            give_back = (PAYER_COST.not_found - PAYER_COST.found, 0)  # DICT was asked: the PSP's price stands
            _finish(store, Finish(begun.payer, key, give_back, end_to_end_id=end_to_end_id, directory=False))
            return own
        # DICT holds it under our ISPB but it is not ACTIVE here (being deleted, or out of sync).
        logger.warning("lookup %s: the directory says the key is ours, but no active key here", end_to_end_id)
        raise NotFound("No entry for this key.") from None
    except NotFound:
        logger.info("lookup %s: no such key", end_to_end_id)
        raise
    except DirectoryNotAsked:
        _finish(store, Finish(begun.payer, key, (PAYER_COST.not_found, PSP_COST.not_found)))
        raise
