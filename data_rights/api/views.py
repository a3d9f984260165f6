"""The subject's own export and erasure API under /api/v1/me/ (session auth with CSRF), rules 6 and 7."""

from django.contrib.auth import logout
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import with_problems
from data_rights.models import DataRequest
from data_rights.selectors import data_request_list_for_subject, export_status_shown
from data_rights.services import erasure_request, export_request

EXPORT_STATUSES = ["queued", "running", "ready", "failed", "expired"]


class MeExportOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField(
        help_text="Present once the export is ready; needs a recent sign-in."
    )
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="When the archive is deleted (7 days after it is built)."
    )
    size = serializers.IntegerField(source="archive_size", allow_null=True, help_text="Stored size in bytes.")

    class Meta:
        ref_name = "MeExport"

    @extend_schema_field(serializers.ChoiceField(choices=EXPORT_STATUSES))
    def get_status(self, export: DataRequest) -> str:
        return export_status_shown(export=export, now=self.context["now"])

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download_url(self, export: DataRequest) -> str | None:
        if export_status_shown(export=export, now=self.context["now"]) != DataRequest.Status.READY:
            return None
        url = reverse("data_rights:export_download", kwargs={"request_id": export.pk})
        return self.context["request"].build_absolute_uri(url)


class MeExportListCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    def _context(self) -> dict:
        return {"request": self.request, "now": timezone.now()}

    @extend_schema(
        operation_id="me_exports_list",
        tags=["me"],
        summary="List my exports",
        description=(
            "The subject's exports with their status, and `download_url` once one is ready (for 7 days, after a "
            "recent sign-in)."
        ),
        responses=with_problems(
            {200: inline_serializer("MeExportList", {"exports": MeExportOutputSerializer(many=True)})}, 403
        ),
    )
    def get(self, request):
        exports = data_request_list_for_subject(subject=request.user).filter(kind=DataRequest.Kind.EXPORT)
        return Response({"exports": MeExportOutputSerializer(exports, many=True, context=self._context()).data})

    @extend_schema(
        operation_id="me_exports_create",
        tags=["me"],
        summary="Request an export",
        description=(
            "Queues a machine-readable archive of everything held about the subject, built in the background. "
            "Answers 202; 409 `export_in_progress` while one is being built."
        ),
        request=None,
        responses=with_problems(
            {202: MeExportOutputSerializer},
            403,
            409,
        ),
    )
    def post(self, request):
        export = export_request(subject=request.user)
        return Response(MeExportOutputSerializer(export, context=self._context()).data, status=status.HTTP_202_ACCEPTED)


class MeErasureCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        password = serializers.CharField(trim_whitespace=False, write_only=True)

        class Meta:
            ref_name = "MeErasure"

    @extend_schema(
        operation_id="me_erasure_create",
        tags=["me"],
        summary="Erase my account",
        request=InputSerializer,
        responses=with_problems(
            {
                202: inline_serializer(
                    "MeErasureAccepted",
                    {
                        "request_id": serializers.UUIDField(),
                        "status": serializers.ChoiceField(choices=["queued", "running", "done", "failed"]),
                    },
                ),
            },
            400,
            403,
            409,
        ),
        description="Closes the account at once and erases everything in the background. A wrong password "
        "answers 403 `invalid_password` and changes nothing. The session ends; the public receipt is at "
        "/erasure-receipts/{request_id}/.",
    )
    def post(self, request):
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        erasure = erasure_request(subject=request.user, password=body.validated_data["password"])
        logout(request)  # the service ended every stored session; this one must not be saved again
        return Response({"request_id": str(erasure.pk), "status": erasure.status}, status=status.HTTP_202_ACCEPTED)
