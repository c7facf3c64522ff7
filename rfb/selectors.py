"""Read use cases of the RFB port."""

from rfb.models import RfbCheck


def rfb_last_check(*, tax_id: str) -> RfbCheck | None:
    """The last registry answer recorded for ``tax_id``, if it was ever checked."""
    return RfbCheck.objects.filter(tax_id=tax_id).first()
