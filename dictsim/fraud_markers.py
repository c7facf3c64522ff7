"""The simulated directory's fraud markers (DICT_RULES §8): a participant marks its own customer.

Idempotent by RequestId per participant. A marker is seen (get) by its creator, and a report's
marker also by the report's reporter, which learns its id from the report; anyone else gets
NotFound. The list is of the caller's own markers ("realizadas pelo participante").
"""

import uuid

from django.db import IntegrityError, transaction

from dict_rules.errors import BadRequest, FraudMarkerInvalid, NotFound, RequestIdAlreadyUsed
from dict_rules.med import FraudMarker, FraudMarkerPage, FraudMarkerRequest
from dict_rules.med_rules import check_marker_cancel, validate_fraud_marker
from dictsim import clock, listing
from dictsim.models import DirEntry, DirFraudMarker


def to_port(marker: DirFraudMarker) -> FraudMarker:
    return FraudMarker(
        id=marker.id,
        tax_id=marker.tax_id,
        key=marker.key,
        fraud_type=marker.fraud_type,
        status=marker.status,
        participant=marker.participant,
        created_at=marker.created_at,
        last_modified=marker.last_modified,
        infraction_report_id=marker.infraction_report_id,
    )


def _replay(participant: str, request: FraudMarkerRequest) -> FraudMarker | None:
    earlier = DirFraudMarker.objects.filter(participant=participant, request_id=request.request_id).first()
    if earlier is None:
        return None
    if (earlier.tax_id, earlier.key, earlier.fraud_type) != (request.tax_id, request.key, request.fraud_type):
        raise RequestIdAlreadyUsed("this RequestId was already used with different data.")
    return to_port(earlier)


def marker_create(*, participant: str, request: FraudMarkerRequest) -> FraudMarker:
    """createFraudMarker: the tax id owns one of the caller's entries, and the key, if given, is one of them."""
    validate_fraud_marker(request)
    replay = _replay(participant, request)
    if replay is not None:
        return replay
    entries = DirEntry.objects.filter(participant=participant, owner_tax_id=request.tax_id)
    if not entries.exists():
        raise FraudMarkerInvalid.on_field("tax_id", "a participant marks only its own customers.")
    if request.key and not entries.filter(key=request.key).exists():
        raise FraudMarkerInvalid.on_field("key", "the key is not one of this customer's keys here.")
    now = clock.now()
    try:
        with transaction.atomic():
            marker = DirFraudMarker.objects.create(
                participant=participant,
                request_id=request.request_id,
                tax_id=request.tax_id,
                key=request.key,
                fraud_type=request.fraud_type,
                status="REGISTERED",
                created_at=now,
                last_modified=now,
            )
    except IntegrityError:  # the same RequestId, concurrently
        return _replay(participant, request)
    return to_port(marker)


def _visible(participant: str, marker_id: uuid.UUID, *, lock: bool = False) -> DirFraudMarker:
    rows = DirFraudMarker.objects.select_for_update(of=("self",)) if lock else DirFraudMarker.objects
    marker = rows.select_related("infraction_report").filter(id=marker_id).first()
    report = marker.infraction_report if marker is not None else None
    if marker is None or participant not in (marker.participant, report and report.reporter_participant):
        raise NotFound("no fraud marker with this id for this participant.")
    return marker


def marker_get(*, participant: str, marker_id: uuid.UUID) -> FraudMarker:
    return to_port(_visible(participant, marker_id))


@transaction.atomic
def marker_cancel(*, participant: str, marker_id: uuid.UUID) -> FraudMarker:
    marker = _visible(participant, marker_id, lock=True)
    if check_marker_cancel(status=marker.status, is_creator=marker.participant == participant):
        marker.status, marker.last_modified = "CANCELLED", clock.now()
        marker.save(update_fields=["status", "last_modified"])
    return to_port(marker)


def marker_list(
    *, participant: str, tax_id: str = "", key: str = "", page: int = 1, per_page: int = listing.LIST_DEFAULT
) -> FraudMarkerPage:
    """listFraudMarkers: the caller's markers for a tax id or a key (one is required), oldest first."""
    if not tax_id and not key:
        raise BadRequest.on_field("tax_id", "a tax id or a key is required.")
    if page < 1:
        raise BadRequest.on_field("page", "pages count from 1.")
    if not 1 <= per_page <= listing.LIST_MAX:
        raise BadRequest.on_field("per_page", f"between 1 and {listing.LIST_MAX} per page.")
    rows = DirFraudMarker.objects.filter(participant=participant)
    if tax_id:
        rows = rows.filter(tax_id=tax_id)
    if key:
        rows = rows.filter(key=key)
    start = (page - 1) * per_page
    found = list(rows.order_by("created_at", "id")[start : start + per_page + 1])
    return FraudMarkerPage(markers=[to_port(marker) for marker in found[:per_page]], has_more=len(found) > per_page)
