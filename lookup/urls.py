from django.urls import path

from lookup.api import LookupApi, PaymentCreditApi

urlpatterns = [
    path("payments/", PaymentCreditApi.as_view(), name="lookup-payment"),
    # path: an e-mail key may hold a '/'.
    path("<path:key>/", LookupApi.as_view(), name="lookup"),
]
