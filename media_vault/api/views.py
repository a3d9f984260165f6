"""Upload endpoints: the partner's (DESIGN.md partner API v1) and the subject's own `/api/v1/me/uploads/`."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import cursor_page_parameters, cursor_page_response, cursor_page_schema, with_problems
from media_vault.ingest import image_too_large
from media_vault.models import AccessEvent
from media_vault.responses import image_response
from media_vault.selectors import (
    upload_get_for_partner,
    upload_image_bytes,
    upload_list_for_partner,
    upload_list_for_subject,
)
from media_vault.services import upload_access_record, upload_erase, upload_ingest
from partners.api.views import PartnerApi, partner_for_request
from partners.selectors import link_get_for_partner


@extend_schema_serializer(component_name="FaceUpload")
class UploadOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    purposes = serializers.SerializerMethodField()
    faces_detected = serializers.IntegerField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    retention_until = serializers.DateTimeField()

    def get_purposes(self, upload) -> list[str]:
        return sorted(p.slug for p in upload.purposes.all())


class SubjectUploadListCreateApi(PartnerApi):
    parser_classes = [MultiPartParser]

    def get_required_scopes(self):
        return ["uploads:write"] if self.request.method == "POST" else ["uploads:read"]

    @property
    def required_scopes(self):
        return self.get_required_scopes()

    @extend_schema_serializer(component_name="FaceUploadRequest")
    class InputSerializer(serializers.Serializer):
        # An empty file is the image checker's to refuse (400 invalid_image), like every other bad file.
        image = serializers.FileField(allow_empty_file=True)
        purposes = serializers.ListField(child=serializers.SlugField(max_length=64), min_length=1, max_length=20)

    @extend_schema(
        operation_id="subject_uploads_list",
        tags=["uploads"],
        summary="List your uploads for a subject",
        description=(
            "The face uploads that you sent for this subject, newest first, with cursor pagination. Uploads by the "
            "subject or by other apps are not listed."
        ),
        parameters=cursor_page_parameters(),
        responses=with_problems(
            {200: cursor_page_schema("FaceUploadPage", UploadOutputSerializer)},
            400,
            401,
            403,
            404,
            429,
        ),
    )
    def get(self, request, subject_id):
        link = link_get_for_partner(partner=partner_for_request(request), subject_id=subject_id)
        return cursor_page_response(
            request=request,
            view=self,
            queryset=upload_list_for_partner(partner=link.partner, subject=link.subject),
            serializer_class=UploadOutputSerializer,
        )

    @extend_schema(
        operation_id="subject_uploads_create",
        tags=["uploads"],
        summary="Upload a face image",
        description=(
            "Multipart form with `image` and one or more `purposes`. Refused with 403 `consent_required`, and "
            "nothing stored, unless the subject has granted every purpose now. The image is re-encoded without "
            "metadata; 400 `invalid_image` and 413 `too_large` refuse the rest."
        ),
        request={"multipart/form-data": InputSerializer},
        responses=with_problems({201: UploadOutputSerializer}, 400, 401, 403, 404, 413, 429),
    )
    def post(self, request, subject_id):
        link = link_get_for_partner(partner=partner_for_request(request), subject_id=subject_id)
        purposes = request.data.getlist("purposes") if hasattr(request.data, "getlist") else []
        body = self.InputSerializer(data={"image": request.data.get("image"), "purposes": purposes})
        body.is_valid(raise_exception=True)
        image = body.validated_data["image"]
        if image.size > settings.FACE_UPLOAD_MAX_BYTES:  # before reading it into memory
            raise image_too_large(max_bytes=settings.FACE_UPLOAD_MAX_BYTES)
        upload = upload_ingest(
            subject=link.subject, data=image.read(), purpose_slugs=body.validated_data["purposes"], partner=link.partner
        )
        return Response(UploadOutputSerializer(upload).data, status=status.HTTP_201_CREATED)


class SubjectUploadContentApi(PartnerApi):
    required_scopes = ["uploads:read"]

    @extend_schema(
        operation_id="subject_upload_content",
        tags=["uploads"],
        summary="Download an upload's image",
        description=(
            "The stored image bytes, only for the partner that uploaded it. Every download is logged and shown to "
            "the subject."
        ),
        responses=with_problems(
            {
                (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description="The stored image bytes.")
                for media_type in ("image/jpeg", "image/png", "image/webp")
            },
            401,
            403,
            404,
            429,
        ),
    )
    def get(self, request, subject_id, upload_id):
        link = link_get_for_partner(partner=partner_for_request(request), subject_id=subject_id)
        upload = upload_get_for_partner(partner=link.partner, subject=link.subject, upload_id=upload_id)
        data = upload_image_bytes(upload=upload)
        upload_access_record(
            upload=upload,
            actor_kind=AccessEvent.ActorKind.PARTNER,
            action=AccessEvent.Action.CONTENT,
            partner=link.partner,
        )
        return image_response(data=data, content_type=upload.content_type)


class SubjectUploadDeleteApi(PartnerApi):
    required_scopes = ["uploads:write"]

    @extend_schema(
        operation_id="subject_upload_delete",
        tags=["uploads"],
        summary="Erase an upload",
        description="Erases the image with its thumbnail and derived data, as an erasure does, and answers 204.",
        responses=with_problems({204: None}, 401, 403, 404, 429),
    )
    def delete(self, request, subject_id, upload_id):
        link = link_get_for_partner(partner=partner_for_request(request), subject_id=subject_id)
        upload = upload_get_for_partner(partner=link.partner, subject=link.subject, upload_id=upload_id)
        upload_erase(upload_id=upload.pk, actor_kind=AccessEvent.ActorKind.PARTNER)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_serializer(component_name="MyFaceUpload")
class MeUploadOutputSerializer(UploadOutputSerializer):
    source = serializers.CharField()
    partner = serializers.CharField(source="partner.name", allow_null=True, default=None)


class MeUploadListApi(APIView):
    @extend_schema(
        operation_id="me_uploads_list",
        tags=["me"],
        summary="List my face uploads",
        description=(
            "Every face upload tied to the signed-in subject, from the portal and from every app, with its source, "
            "purposes and deletion deadline."
        ),
        responses=with_problems(
            {200: inline_serializer("MyFaceUploads", {"uploads": MeUploadOutputSerializer(many=True)})}, 403
        ),
    )
    def get(self, request):
        uploads = upload_list_for_subject(subject=request.user)
        return Response({"uploads": MeUploadOutputSerializer(uploads, many=True).data})
