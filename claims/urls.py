from django.urls import path

from claims.api import (
    ClaimCancelApi,
    ClaimCompleteApi,
    ClaimDetailApi,
    ClaimRespondApi,
    IncomingClaimListApi,
    OutgoingClaimListApi,
    OwnershipClaimCreateApi,
)

urlpatterns = [
    path("", OwnershipClaimCreateApi.as_view(), name="claim-create"),
    path("incoming/", IncomingClaimListApi.as_view(), name="claim-incoming"),
    path("outgoing/", OutgoingClaimListApi.as_view(), name="claim-outgoing"),
    path("<uuid:claim_id>/", ClaimDetailApi.as_view(), name="claim-detail"),
    path("<uuid:claim_id>/respond/", ClaimRespondApi.as_view(), name="claim-respond"),
    path("<uuid:claim_id>/cancel/", ClaimCancelApi.as_view(), name="claim-cancel"),
    path("<uuid:claim_id>/complete/", ClaimCompleteApi.as_view(), name="claim-complete"),
]
