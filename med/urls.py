from django.urls import path

from med import api

urlpatterns = [
    path("infraction-reports/", api.ReportListApi.as_view(), name="med-report-list"),
    path("infraction-reports/<uuid:report_id>/", api.ReportDetailApi.as_view(), name="med-report-detail"),
    path("infraction-reports/<uuid:report_id>/update/", api.ReportUpdateApi.as_view(), name="med-report-update"),
    path("infraction-reports/<uuid:report_id>/cancel/", api.ReportCancelApi.as_view(), name="med-report-cancel"),
    path(
        "infraction-reports/<uuid:report_id>/acknowledge/",
        api.ReportAcknowledgeApi.as_view(),
        name="med-report-acknowledge",
    ),
    path("infraction-reports/<uuid:report_id>/close/", api.ReportCloseApi.as_view(), name="med-report-close"),
    path("refunds/", api.RefundListApi.as_view(), name="med-refund-list"),
    path("refunds/<uuid:refund_id>/", api.RefundDetailApi.as_view(), name="med-refund-detail"),
    path("refunds/<uuid:refund_id>/cancel/", api.RefundCancelApi.as_view(), name="med-refund-cancel"),
    path("refunds/<uuid:refund_id>/close/", api.RefundCloseApi.as_view(), name="med-refund-close"),
    path("fraud-markers/", api.MarkerListApi.as_view(), name="med-marker-list"),
    path("fraud-markers/<uuid:marker_id>/", api.MarkerDetailApi.as_view(), name="med-marker-detail"),
    path("fraud-markers/<uuid:marker_id>/cancel/", api.MarkerCancelApi.as_view(), name="med-marker-cancel"),
]
