"""Input and output shapes of MED's REST API.

Inputs are checked for shape only (text, lengths, UUIDs); every choice and rule is the domain's
(med.domain), so REST and gRPC refuse the same input with the same DICT code and field.
"""

from rest_framework import serializers

from common.strict_input import StrictSerializer, StrictUUIDField
from med.models import FraudMarker, InfractionReport, Refund


def text(help_text: str = "") -> serializers.CharField:
    """A text field as gRPC's string: absent is empty, kept as sent, its length and values the domain's."""
    return serializers.CharField(
        required=False, default="", allow_blank=True, trim_whitespace=False, help_text=help_text
    )


class ReportOpenIn(StrictSerializer):
    transaction_id = text("The EndToEndId of a payment one of our customers made.")
    situation_type = text("SCAM, ACCOUNT_TAKEOVER, COERCION, FRAUDULENT_ACCESS or OTHER (OTHER needs details).")
    email = text("Contact e-mail for the counterparty.")
    phone = text("Contact phone for the counterparty.")
    report_details = text()
    request_id = StrictUUIDField()


class ReportUpdateIn(StrictSerializer):
    """A partial update: a field omitted or empty keeps the report's value (as gRPC's, which cannot tell them
    apart); at least one is sent."""

    situation_type = text("Omitted or empty: unchanged.")
    email = text("Omitted or empty: unchanged.")
    phone = text("Omitted or empty: unchanged.")
    report_details = text("Omitted or empty: unchanged.")


class ReportCloseIn(StrictSerializer):
    analysis_result = text("AGREED (with fraud_type) or DISAGREED (with analysis_details).")
    fraud_type = text("APPLICATION_FRAUD, MULE_ACCOUNT, SCAMMER_ACCOUNT or OTHER.")
    analysis_details = text()


class RefundRequestIn(StrictSerializer):
    transaction_id = text("The EndToEndId of a payment one of our customers made.")
    reason = text("FRAUD (within 72 h of our report's AGREED close) or OPERATIONAL_FLAW (with details).")
    amount = text('A decimal string with at most two decimal places, e.g. "150.00".')
    details = text()
    request_id = StrictUUIDField()


class RefundCloseIn(StrictSerializer):
    result = text("TOTALLY_ACCEPTED, PARTIALLY_ACCEPTED or REJECTED.")
    refund_transaction_id = text("The refund's transaction (pacs.004), when accepted.")
    rejection_reason = text("NO_BALANCE, ACCOUNT_CLOSURE, INVALID_REQUEST or OTHER, when rejected.")
    details = text()


class MarkerCreateIn(StrictSerializer):
    tax_id = text("The CPF or CNPJ of one of our customers.")
    key = text("One of that customer's live keys, when known.")
    fraud_type = text("APPLICATION_FRAUD, MULE_ACCOUNT, SCAMMER_ACCOUNT or OTHER.")
    request_id = StrictUUIDField()


COMMON = ["id", "dict_id", "status", "request_id", "failure_code", "dict_created_at", "last_modified", "created_at"]


class ReportOut(serializers.ModelSerializer):
    class Meta:
        model = InfractionReport
        fields = [
            *COMMON,
            "role",
            "transaction_id",
            "reason",
            "situation_type",
            "contact_email",
            "contact_phone",
            "report_details",
            "reporter_participant",
            "counterparty_participant",
            "analysis_result",
            "analysis_details",
            "fraud_type",
            "fraud_marker_dict_id",
            "closed_at",
            "analysis_deadline",
            "refund_deadline",
            "intent",
        ]


class RefundOut(serializers.ModelSerializer):
    amount = serializers.CharField()
    infraction_report_id = serializers.UUIDField(allow_null=True)

    class Meta:
        model = Refund
        fields = [
            *COMMON,
            "role",
            "transaction_id",
            "reason",
            "amount",
            "details",
            "infraction_report_id",
            "infraction_report_dict_id",
            "requesting_participant",
            "contested_participant",
            "analysis_result",
            "analysis_details",
            "rejection_reason",
            "refund_transaction_id",
            "intent",
        ]


class MarkerOut(serializers.ModelSerializer):
    class Meta:
        model = FraudMarker
        fields = [*COMMON, "tax_id", "key", "fraud_type", "intent"]
