"""Appearance endpoints: the partner's (report, list, confirm a takedown) and the subject's own
`/api/v1/me/appearances/` (list, ask for a takedown)."""

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from appearances.models import Appearance
from appearances.selectors import (
    appearance_get_for_partner,
    appearance_get_for_subject,
    appearance_list_for_partner,
    appearance_list_for_subject,
    appearance_status_shown,
)
from appearances.services import appearance_report, appearance_takedown_request, appearance_taken_down
from config.api import cursor_page_parameters, cursor_page_response, cursor_page_schema, with_problems
from media_vault.ingest import image_too_large
from partners.api.views import PartnerApi, partner_for_request
from partners.selectors import link_get_for_partner


@extend_schema_serializer(component_name="Appearance")
class AppearanceOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=Appearance.Kind.choices)
    made_by = serializers.ChoiceField(choices=Appearance.MadeBy.choices)
    title = serializers.CharField()
    purposes = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    reported_at = serializers.DateTimeField()
    content_sha256 = serializers.CharField()
    c2pa_manifest_id = serializers.CharField(allow_null=True)
    source_upload_ids = serializers.ListField(child=serializers.UUIDField())
    has_thumbnail = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=Appearance.Status.choices)
    takedown_due_at = serializers.DateTimeField(allow_null=True)
    taken_down_at = serializers.DateTimeField(allow_null=True)

    def get_purposes(self, appearance) -> list[str]:
        return sorted(p.slug for p in appearance.purposes.all())

    def get_has_thumbnail(self, appearance) -> bool:
        return bool(appearance.thumbnail_object_name)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["c2pa_manifest_id"] = instance.c2pa_manifest_id or None
        return data


class _ListField(serializers.ListField):
    """A list from JSON, or repeated form fields from multipart."""

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist"):
            return dictionary.getlist(self.field_name) if self.field_name in dictionary else serializers.empty
        return super().get_value(dictionary)


class SubjectAppearanceListCreateApi(PartnerApi):
    parser_classes = [JSONParser, MultiPartParser]

    @property
    def required_scopes(self):
        return ["appearances:write"] if self.request.method == "POST" else ["appearances:read"]

    @extend_schema_serializer(component_name="AppearanceRequest")
    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=Appearance.Kind.choices)
        purposes = _ListField(child=serializers.SlugField(max_length=64), min_length=1, max_length=20)
        made_by = serializers.ChoiceField(choices=Appearance.MadeBy.choices)
        created_at = serializers.DateTimeField()
        content_sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$")
        title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        source_upload_ids = _ListField(child=serializers.UUIDField(), required=False, max_length=100, default=list)
        c2pa_manifest_id = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        thumbnail = serializers.FileField(required=False, allow_empty_file=True)

    @extend_schema_serializer(component_name="AppearanceJsonRequest")
    class JsonInputSerializer(InputSerializer):
        """The schema of a JSON body: a file cannot travel in JSON, so `thumbnail` comes in a multipart form only."""

        thumbnail = None

    @extend_schema(
        operation_id="subject_appearances_list",
        tags=["appearances"],
        summary="List your appearances of a subject",
        description=(
            "The appearances that you reported for this subject, newest first, with cursor pagination. "
            "Appearances reported by other apps are not listed."
        ),
        parameters=cursor_page_parameters(),
        responses=with_problems(
            {200: cursor_page_schema("AppearancePage", AppearanceOutputSerializer)},
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
            queryset=appearance_list_for_partner(partner=link.partner, subject=link.subject),
            serializer_class=AppearanceOutputSerializer,
        )

    @extend_schema(
        operation_id="subject_appearances_create",
        tags=["appearances"],
        summary="Report an appearance",
        description=(
            "Report a video, image or voice clip that you made with the subject's likeness, as JSON or as a "
            "multipart form (with an optional `thumbnail` image). Refused with 403 `consent_required`, and nothing "
            "stored, unless the subject has granted every named purpose now. `source_upload_ids` must be your own "
            "uploads of this subject (400 `invalid_source_uploads`). A thumbnail is re-encoded without metadata "
            "(400 `invalid_image`, 413 `too_large`)."
        ),
        request={"application/json": JsonInputSerializer, "multipart/form-data": InputSerializer},
        responses=with_problems({201: AppearanceOutputSerializer}, 400, 401, 403, 404, 413, 429),
    )
    def post(self, request, subject_id):
        link = link_get_for_partner(partner=partner_for_request(request), subject_id=subject_id)
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        thumbnail = data.get("thumbnail")
        if thumbnail is not None and thumbnail.size > settings.FACE_UPLOAD_MAX_BYTES:  # before reading it
            raise image_too_large(max_bytes=settings.FACE_UPLOAD_MAX_BYTES)
        appearance = appearance_report(
            subject=link.subject,
            partner=link.partner,
            kind=data["kind"],
            made_by=data["made_by"],
            purpose_slugs=data["purposes"],
            created_at=data["created_at"],
            content_sha256=data["content_sha256"],
            title=data["title"],
            source_upload_ids=[str(pk) for pk in data["source_upload_ids"]],
            c2pa_manifest_id=data["c2pa_manifest_id"],
            thumbnail=thumbnail.read() if thumbnail is not None else None,
        )
        return Response(AppearanceOutputSerializer(appearance).data, status=status.HTTP_201_CREATED)


class SubjectAppearanceTakenDownApi(PartnerApi):
    required_scopes = ["appearances:write"]

    @extend_schema(
        operation_id="subject_appearance_taken_down",
        tags=["appearances"],
        summary="Confirm an appearance is taken down",
        description=(
            "Tell the portal that you took one of your appearances down, whether or not the subject asked "
            '(`appearance.takedown_requested`). Answers with `status: "taken_down"`; confirming again changes '
            "nothing. Another app's appearance answers 404, as an unknown one does."
        ),
        request=None,
        responses=with_problems({200: AppearanceOutputSerializer}, 401, 403, 404, 429),
    )
    def post(self, request, subject_id, appearance_id):
        link = link_get_for_partner(partner=partner_for_request(request), subject_id=subject_id)
        appearance = appearance_get_for_partner(partner=link.partner, subject=link.subject, appearance_id=appearance_id)
        appearance = appearance_taken_down(appearance=appearance)
        return Response(AppearanceOutputSerializer(appearance).data)


@extend_schema_serializer(component_name="MyAppearance")
class MeAppearanceOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    app = serializers.CharField(source="partner.name")
    kind = serializers.ChoiceField(choices=Appearance.Kind.choices)
    made_by = serializers.ChoiceField(choices=Appearance.MadeBy.choices)
    title = serializers.CharField()
    purposes = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    status = serializers.SerializerMethodField()
    takedown_due_at = serializers.DateTimeField(allow_null=True)

    def get_purposes(self, appearance) -> list[str]:
        return sorted(p.slug for p in appearance.purposes.all())

    def get_status(self, appearance) -> str:
        """`live`, `takedown_requested`, `overdue` (requested, past its deadline) or `taken_down`."""
        return appearance_status_shown(appearance=appearance, now=self.context.get("now"))


class MeAppearanceListApi(APIView):
    @extend_schema(
        operation_id="me_appearances_list",
        tags=["me"],
        summary="List my appearances",
        description=(
            "Every appearance of the signed-in subject, from every app, newest first. `status` reads `overdue` "
            "when a requested takedown is past its deadline."
        ),
        responses=with_problems(
            {200: inline_serializer("MyAppearances", {"appearances": MeAppearanceOutputSerializer(many=True)})}, 403
        ),
    )
    def get(self, request):
        appearances = appearance_list_for_subject(subject=request.user)
        return Response({"appearances": MeAppearanceOutputSerializer(appearances, many=True).data})


class MeAppearanceTakedownApi(APIView):
    class InputSerializer(serializers.Serializer):
        reason = serializers.ChoiceField(
            choices=Appearance.TakedownReason.choices, required=False, allow_blank=True, default=""
        )

    @extend_schema(
        operation_id="me_appearances_takedown",
        tags=["me"],
        summary="Ask for an appearance to be taken down",
        description=(
            "The app that made it is told at once (`appearance.takedown_requested`) and has 48 hours "
            "(`takedown_due_at`). Asking again changes nothing; 409 `takedown_not_possible` once it is taken down."
        ),
        request=InputSerializer,
        responses=with_problems({200: MeAppearanceOutputSerializer}, 400, 403, 404, 409),
    )
    def post(self, request, appearance_id):
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        appearance = appearance_get_for_subject(subject=request.user, appearance_id=appearance_id)
        appearance = appearance_takedown_request(appearance=appearance, reason=body.validated_data["reason"])
        return Response(MeAppearanceOutputSerializer(appearance).data)
