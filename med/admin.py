"""Back-office for MED, the fraud team's: DICT owns every field, so staff look, and act only through the
services (acknowledge, close, cancel, refund answers), which check med.manage_infractions again.

The queues (``?queue=``: reports to analyse by deadline, refunds to answer, AGREED reports awaiting our
refund) are list filters over med.selectors, which the staff home page counts with. An action that needs
an answer (a close's result and fraud type, a refund's transaction) reads it from the fields the action
bar shows beside the action (``MedActionForm``); an action whose answers or selection do not hold is
refused with the reason, nothing done. PII (contacts, tax ids, keys) is masked for staff without
accounts.view_pii, and free text withheld whole (a name or a phone in words is nothing masking can find);
with it, the page is recorded in the PII audit trail (PiiMaskingMixin).
"""

from typing import ClassVar
from uuid import UUID

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME, ActionForm
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse

from common.admin_helpers import (
    KEY_SPELLINGS_HELP,
    KeySpellingSearchMixin,
    PiiMaskingMixin,
    ViewOnlyAdmin,
    mask_contact,
    mask_document,
    mask_user,
    short_pk,
)
from dict_rules.keys import key_type_of
from dict_rules.med import (
    ANALYSIS_RESULTS,
    MARKABLE_FRAUD_TYPES,
    REFUND_REJECTION_REASONS,
    REFUND_RESULTS,
    REPORT_DETAILS_MAX,
)
from events.history import EventHistoryMixin
from events.types import FraudMarkerEvent, InfractionReportEvent, RefundEvent
from keys.admin import mask_key
from med import services
from med.admin_filters import QueueFilter, RefundQueueFilter, ReportQueueFilter
from med.models import MANAGE_PERMISSION, FraudMarker, InfractionReport, Refund

WITHHELD = "withheld: needs view_pii"


def withheld(text: str) -> str:
    """Free text (a report's or refund's details) for staff without view_pii: none of it, since the names and
    phones people write in it are beyond what mask_pii recognises; empty stays empty (nothing is withheld)."""
    return WITHHELD if text else ""


def _menu(placeholder: str, values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [("", placeholder), *((value, value) for value in values)]


class MedAnswers(forms.Form):
    """The answers an action may need; each action reads only its own."""

    analysis_result = forms.ChoiceField(required=False, choices=_menu("result", ANALYSIS_RESULTS))
    fraud_type = forms.ChoiceField(required=False, choices=_menu("fraud type", MARKABLE_FRAUD_TYPES))
    refund_result = forms.ChoiceField(required=False, choices=_menu("refund answer", REFUND_RESULTS))
    refund_transaction_id = forms.CharField(required=False, max_length=32, label="refund transaction id")
    rejection_reason = forms.ChoiceField(required=False, choices=_menu("rejection reason", REFUND_REJECTION_REASONS))
    details = forms.CharField(required=False, max_length=REPORT_DETAILS_MAX, label="details")


class MedActionForm(ActionForm, MedAnswers):
    """The answers beside the action's menu."""


def action_refusal(request: HttpRequest) -> str | None:
    """Why an action cannot run as posted, before Django's own handling: a selected id that is no UUID (Django
    would fail reading the rows, a 500) or answers the form refuses (Django would say only "No action selected.")."""
    for selected in request.POST.getlist(ACTION_CHECKBOX_NAME):
        try:
            UUID(selected)
        except ValueError:
            return "The selection holds a value that is no row id; nothing was done."
    answers = MedAnswers(request.POST)
    if answers.is_valid():
        return None
    reasons = "; ".join(f"{answers[name].label}: {' '.join(errors)}" for name, errors in answers.errors.items())
    return f"{reasons} Nothing was done."


class MedAdminBase(EventHistoryMixin, PiiMaskingMixin, ViewOnlyAdmin):
    action_form = MedActionForm
    deadline_ordering: ClassVar[tuple[str, ...]] = ()

    def response_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """Django's, once action_refusal finds nothing wrong; else the reason as a message (the list again)."""
        refusal = action_refusal(request)
        if refusal is not None:
            self.message_user(request, refusal, messages.ERROR)
            return None
        return super().response_action(request, queryset)

    def get_ordering(self, request: HttpRequest) -> list[str]:
        """A queue lists the most urgent first; any other list newest first."""
        if request.GET.get(QueueFilter.parameter_name) and self.deadline_ordering:
            return list(self.deadline_ordering)
        return list(super().get_ordering(request) or ())

    def has_dict_action_permission(self, request: HttpRequest) -> bool:
        """The admin never saves rows: acting on one means acting at DICT, the fraud team's permission."""
        return request.user.has_perm(MANAGE_PERMISSION)

    @admin.display(description="requested by")
    def requested_by_masked(self, row: Model) -> str | None:
        return mask_user(row.requested_by)


def _answer(request: HttpRequest, name: str) -> str:
    return request.POST.get(name, "")


@admin.register(InfractionReport)
class InfractionReportAdmin(MedAdminBase):
    list_display = (short_pk, "role", "status", "reason", "situation_type", "analysis_deadline", "analysis_result")
    list_filter = (ReportQueueFilter, "role", "status", "reason", "analysis_result", "intent")
    search_fields = ("=dict_id", "=transaction_id")
    search_help_text = "A DICT report id or an EndToEndId, whole."
    deadline_ordering = ("analysis_deadline", "refund_deadline", "id")
    event_enum = InfractionReportEvent
    pii_fields = ("contact_email", "contact_phone", "report_details", "analysis_details", "requested_by", "history")
    fieldsets = (
        (None, {"fields": ("id", "role", "status", "intent", "intent_at", "failure_code")}),
        (
            "Report",
            {
                "fields": (
                    "transaction_id",
                    "reason",
                    "situation_type",
                    "contact_email",
                    "contact_phone",
                    "report_details",
                )
            },
        ),
        ("Analysis", {"fields": ("analysis_result", "fraud_type", "analysis_details", "fraud_marker_dict_id")}),
        (
            "DICT",
            {
                "fields": (
                    "dict_id",
                    "reporter_participant",
                    "counterparty_participant",
                    "dict_created_at",
                    "last_modified",
                    "closed_at",
                    "analysis_deadline",
                    "refund_deadline",
                    "analysis_due_flagged_at",
                    "refund_due_flagged_at",
                )
            },
        ),
        ("Request", {"fields": ("request_id", "requested_by", "created_at")}),
        ("History", {"fields": ("history",)}),
    )
    actions = ("acknowledge", "close", "cancel")

    @admin.display(description="contact e-mail")
    def contact_email_masked(self, row: InfractionReport) -> str:
        return mask_contact(row.contact_email) if row.contact_email else ""

    @admin.display(description="contact phone")
    def contact_phone_masked(self, row: InfractionReport) -> str:
        return mask_contact(row.contact_phone) if row.contact_phone else ""

    @admin.display(description="report details")
    def report_details_masked(self, row: InfractionReport) -> str:
        return withheld(row.report_details)

    @admin.display(description="analysis details")
    def analysis_details_masked(self, row: InfractionReport) -> str:
        return withheld(row.analysis_details)

    @admin.action(description="Acknowledge selected reports at DICT", permissions=["dict_action"])
    def acknowledge(self, request: HttpRequest, queryset: QuerySet) -> None:
        act = lambda pk: services.report_acknowledge(user=request.user, report_id=pk)  # noqa: E731
        self.act_on_each(request, queryset, "acknowledged", act)

    @admin.action(
        description="Close selected reports at DICT (result, fraud type, details)", permissions=["dict_action"]
    )
    def close(self, request: HttpRequest, queryset: QuerySet) -> None:
        def act(pk: UUID) -> InfractionReport:
            return services.report_close(
                user=request.user,
                report_id=pk,
                analysis_result=_answer(request, "analysis_result"),
                fraud_type=_answer(request, "fraud_type"),
                analysis_details=_answer(request, "details"),
            )

        self.act_on_each(request, queryset, "closed", act)

    @admin.action(description="Cancel selected reports of ours at DICT", permissions=["dict_action"])
    def cancel(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.act_on_each(
            request, queryset, "cancelled", lambda pk: services.report_cancel(user=request.user, report_id=pk)
        )


@admin.register(Refund)
class RefundAdmin(MedAdminBase):
    list_display = (short_pk, "role", "status", "reason", "amount", "dict_created_at", "analysis_result")
    list_filter = (RefundQueueFilter, "role", "status", "reason", "analysis_result", "intent")
    search_fields = ("=dict_id", "=transaction_id")
    search_help_text = "A DICT refund id or an EndToEndId, whole."
    deadline_ordering = ("dict_created_at", "id")
    event_enum = RefundEvent
    pii_fields = ("details", "analysis_details", "requested_by", "history")
    fieldsets = (
        (None, {"fields": ("id", "role", "status", "intent", "intent_at", "failure_code")}),
        ("Refund", {"fields": ("transaction_id", "reason", "amount", "details", "infraction_report")}),
        (
            "Answer",
            {"fields": ("analysis_result", "rejection_reason", "refund_transaction_id", "analysis_details")},
        ),
        (
            "DICT",
            {
                "fields": (
                    "dict_id",
                    "infraction_report_dict_id",
                    "requesting_participant",
                    "contested_participant",
                    "dict_created_at",
                    "last_modified",
                )
            },
        ),
        ("Request", {"fields": ("request_id", "requested_by", "created_at")}),
        ("History", {"fields": ("history",)}),
    )
    actions = ("close", "cancel")

    @admin.display(description="details")
    def details_masked(self, row: Refund) -> str:
        return withheld(row.details)

    @admin.display(description="analysis details")
    def analysis_details_masked(self, row: Refund) -> str:
        return withheld(row.analysis_details)

    @admin.action(
        description="Answer selected refunds at DICT (refund answer, its transaction id or rejection reason)",
        permissions=["dict_action"],
    )
    def close(self, request: HttpRequest, queryset: QuerySet) -> None:
        def act(pk: UUID) -> Refund:
            return services.refund_close(
                user=request.user,
                refund_id=pk,
                result=_answer(request, "refund_result"),
                refund_transaction_id=_answer(request, "refund_transaction_id"),
                rejection_reason=_answer(request, "rejection_reason"),
                details=_answer(request, "details"),
            )

        self.act_on_each(request, queryset, "answered", act)

    @admin.action(description="Cancel selected refunds of ours at DICT", permissions=["dict_action"])
    def cancel(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.act_on_each(
            request, queryset, "cancelled", lambda pk: services.refund_cancel(user=request.user, refund_id=pk)
        )


@admin.register(FraudMarker)
class FraudMarkerAdmin(KeySpellingSearchMixin, MedAdminBase):
    list_display = (short_pk, "status", "fraud_type", "tax_id", "created_at")
    list_filter = ("status", "fraud_type", "intent")
    search_fields = ("=dict_id", "=tax_id", "=key")
    search_help_text = f"A DICT marker id; with the view-PII permission, a tax id or key, whole: {KEY_SPELLINGS_HELP}."
    event_enum = FraudMarkerEvent
    pii_fields = ("tax_id", "key", "holder", "requested_by", "history")
    fieldsets = (
        (None, {"fields": ("id", "status", "intent", "intent_at", "failure_code")}),
        ("Marker", {"fields": ("holder", "tax_id", "key", "fraud_type")}),
        ("DICT", {"fields": ("dict_id", "dict_created_at", "last_modified")}),
        ("Request", {"fields": ("request_id", "requested_by", "created_at")}),
        ("History", {"fields": ("history",)}),
    )
    actions = ("cancel",)

    @admin.display(description="tax id")
    def tax_id_masked(self, row: FraudMarker) -> str:
        return mask_document(row.tax_id)

    @admin.display(description="key")
    def key_masked(self, row: FraudMarker) -> str:
        return mask_key(key_type_of(row.key), row.key) if row.key else ""  # as the keys' admin shows it

    @admin.display(description="holder")
    def holder_masked(self, row: FraudMarker) -> str:
        return f"holder {row.holder_id}"

    @admin.action(description="Cancel selected fraud markers at DICT", permissions=["dict_action"])
    def cancel(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.act_on_each(
            request, queryset, "cancelled", lambda pk: services.marker_cancel(user=request.user, marker_id=pk)
        )
