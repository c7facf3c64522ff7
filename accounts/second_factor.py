"""A second factor (TOTP, django-otp) for the operations that move a key away: answering claims.

A customer enrols a device (unconfirmed), confirms it with a first valid code, and from then on
proves each sensitive operation with a fresh code. TOTPDevice.verify_token refuses a code already
used and throttles repeated failures.
"""

import re

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from dict_rules.errors import SecondFactorInvalid, SecondFactorRequired

DEVICE_NAME = "authenticator app"
# The one shape of a code, for every interface that takes one (REST serializers, gRPC mappers).
OTP_PATTERN = r"^[0-9]{6}$"
OTP_RE = re.compile(OTP_PATTERN)


def totp_enrol(*, user: AbstractBaseUser, otp: str | None = None) -> str:
    """Start enrolling an authenticator app; returns its otpauth:// URL (for a QR code).

    A user who already has a confirmed device must prove it first, so a stolen session cannot
    swap the second factor. Earlier unconfirmed devices are dropped.
    """
    if TOTPDevice.objects.devices_for_user(user, confirmed=True).exists():
        verify_second_factor(user, otp)
    with transaction.atomic():
        TOTPDevice.objects.devices_for_user(user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device.config_url


def totp_confirm(*, user: AbstractBaseUser, otp: str) -> None:
    """Confirm the pending device with its first code; only then does it count as a second factor."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("-pk").first()
    if device is None:
        raise SecondFactorRequired("there is no enrolment to confirm; start one first.")
    if not device.verify_token(otp):
        raise SecondFactorInvalid()
    device.confirmed = True
    device.save(update_fields=["confirmed"])


def verify_second_factor(user: AbstractBaseUser, otp: str | None) -> None:
    """Raise unless the user has a confirmed device and ``otp`` is a fresh, valid code of it."""
    devices = list(TOTPDevice.objects.devices_for_user(user, confirmed=True))
    if not devices:
        raise SecondFactorRequired()
    if not otp or not any(device.verify_token(otp) for device in devices):
        raise SecondFactorInvalid()
