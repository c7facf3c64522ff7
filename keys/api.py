"""REST views for keys: parse, call a service or selector, render. No rules live here."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.openapi import refusals
from common.pagination import NewestFirstCursorPagination
from keys import selectors, services, updates
from keys.domain import EntryStatus
from keys.serializers import EntryCreateIn, EntryDeleteIn, EntryOut, EntryUpdateIn


class KeyListCreateApi(APIView):
    pagination_class = NewestFirstCursorPagination

    @extend_schema(
        summary="List the caller's keys",
        parameters=[
            OpenApiParameter("key_type", OpenApiTypes.STR, enum=["CPF", "CNPJ", "PHONE", "EMAIL", "EVP"]),
            OpenApiParameter("status", OpenApiTypes.STR, enum=["PENDING", "ACTIVE", "FAILED", "DELETED"]),
        ],
        responses=EntryOut(many=True),
    )
    def get(self, request: Request) -> Response:
        qs = selectors.entry_list(
            user=request.user,
            key_type=request.query_params.get("key_type"),
            status=request.query_params.get("status"),
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(EntryOut(page, many=True).data)

    @extend_schema(
        summary="Register a key for one of the caller's accounts",
        description="The key starts PENDING and becomes ACTIVE or FAILED once DICT answers. "
        "A retry with the same request_id returns the first result.",
        request=EntryCreateIn,
        responses={201: EntryOut, **refusals(404, 409, 422)},
    )
    def post(self, request: Request) -> Response:
        data = EntryCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        entry, replayed = services.entry_create(user=request.user, **data.validated_data)
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        return Response(EntryOut(entry).data, status=status.HTTP_201_CREATED, headers=headers)


class KeyDetailApi(APIView):
    @extend_schema(summary="One of the caller's keys", responses=EntryOut)
    def get(self, request: Request, entry_id) -> Response:
        return Response(EntryOut(selectors.entry_get(user=request.user, entry_id=entry_id)).data)

    @extend_schema(
        summary="Delete a key (soft delete; the history stays)",
        description="200 when the key is deleted; 202 while DICT has yet to remove it (DELETE_PENDING).",
        parameters=[OpenApiParameter("reason", OpenApiTypes.STR, description="Default USER_REQUESTED")],
        request=EntryDeleteIn,
        responses={200: EntryOut, 202: EntryOut, **refusals(409)},
    )
    def delete(self, request: Request, entry_id) -> Response:
        data = EntryDeleteIn(data=request.data or request.query_params)
        data.is_valid(raise_exception=True)
        services.entry_delete(user=request.user, entry_id=entry_id, reason=data.validated_data.get("reason"))
        entry = selectors.entry_get(user=request.user, entry_id=entry_id)
        pending = entry.status == EntryStatus.DELETE_PENDING
        return Response(EntryOut(entry).data, status=status.HTTP_202_ACCEPTED if pending else status.HTTP_200_OK)

    @extend_schema(
        summary="Update a key at DICT: move it to another of the caller's accounts",
        description="The owner's names sent are always the holder's record: naming the key's own account "
        "sends DICT the current ones. 202 while DICT has yet to apply it (update_pending), 200 when nothing "
        "changes. A retry with the same request_id returns the first result. An EVP key cannot be updated "
        "by its holder (DICT allows it only with RFB_VALIDATION, the PSP's reason).",
        request=EntryUpdateIn,
        responses={200: EntryOut, 202: EntryOut, **refusals(404, 409, 422)},
    )
    def patch(self, request: Request, entry_id) -> Response:
        data = EntryUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        entry, replayed = updates.entry_update(user=request.user, entry_id=entry_id, **data.validated_data)
        entry = selectors.entry_get(user=request.user, entry_id=entry.pk)
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        code = status.HTTP_202_ACCEPTED if entry.update_pending else status.HTTP_200_OK
        return Response(EntryOut(entry).data, status=code, headers=headers)
