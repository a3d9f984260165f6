"""The subject's own find-me endpoints, `/api/v1/me/sightings/`: the list, "not me" and "remove me".

Session authentication with CSRF, as every `/api/v1/me/` endpoint (the REST_FRAMEWORK defaults, like
appearances' MeAppearanceListApi). The page and these views call the same selectors and services."""

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import with_problems
from find_me.models import Sighting
from find_me.selectors import (
    OVERDUE,
    REMOVED,
    sighting_get_for_subject,
    sighting_list_for_subject,
    sighting_similarity,
    sighting_status_shown,
)
from find_me.services import sighting_dismiss, sighting_removal_request
from find_me.similarity import LIKELY, VERY_LIKELY

SIGHTING_STATUSES = [*Sighting.Status.values, OVERDUE, REMOVED]
SIMILARITIES = [VERY_LIKELY, LIKELY]


@extend_schema_serializer(component_name="MySighting")
class MeSightingOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    app = serializers.SerializerMethodField(
        help_text="The app that holds the photo; null for one uploaded in the portal."
    )
    found_at = serializers.DateTimeField()
    similarity = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    removal_due_at = serializers.DateTimeField(allow_null=True, help_text="48 hours after you asked for removal.")
    preview_url = serializers.SerializerMethodField(
        help_text="A blurred preview of the matched face only, for you only (a JPEG); null once the photo is gone."
    )

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_app(self, sighting: Sighting) -> str | None:
        return sighting.partner.name if sighting.partner else None

    @extend_schema_field(serializers.ChoiceField(choices=SIMILARITIES))
    def get_similarity(self, sighting: Sighting) -> str:
        return sighting_similarity(sighting=sighting)

    @extend_schema_field(serializers.ChoiceField(choices=SIGHTING_STATUSES))
    def get_status(self, sighting: Sighting) -> str:
        """`found`, `not_me`, `removal_requested`, `overdue` (requested, past its deadline) or `removed` (gone)."""
        return sighting_status_shown(sighting=sighting, now=self.context["now"])

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_preview_url(self, sighting: Sighting) -> str | None:
        if sighting.upload_id is None:
            return None
        url = reverse("find_me:sighting_preview", kwargs={"sighting_id": sighting.pk})
        return self.context["request"].build_absolute_uri(url)


def _output(request, sighting: Sighting) -> dict:
    return MeSightingOutputSerializer(sighting, context={"request": request, "now": timezone.now()}).data


class MeSightingListApi(APIView):
    @extend_schema(
        operation_id="me_sightings_list",
        tags=["me"],
        summary="List where my face was found",
        description=(
            "Every sighting of the signed-in subject's face in other people's uploads (find-me, opt-in), newest "
            "first. `status` reads `overdue` when a requested removal is past its deadline, and `removed` once the "
            "photo is gone."
        ),
        responses=with_problems(
            {200: inline_serializer("MySightings", {"sightings": MeSightingOutputSerializer(many=True)})}, 403
        ),
    )
    def get(self, request):
        context = {"request": request, "now": timezone.now()}
        sightings = sighting_list_for_subject(subject=request.user)
        return Response({"sightings": MeSightingOutputSerializer(sightings, many=True, context=context).data})


class MeSightingNotMeApi(APIView):
    @extend_schema(
        operation_id="me_sighting_not_me",
        tags=["me"],
        summary="Say a sighting is not me",
        description=(
            'The sighting reads `status: "not_me"` and that photo is not matched with you again. Saying it again, '
            "or after asking for removal, changes nothing; 409 `sighting_removed` once the photo is gone. Another "
            "person's sighting answers 404, as an unknown one does."
        ),
        request=None,
        responses=with_problems(
            {200: MeSightingOutputSerializer},
            403,
            404,
            409,
            said={409: "The photo is already gone: there is nothing left to answer (`sighting_removed`)."},
        ),
    )
    def post(self, request, sighting_id):
        sighting = sighting_get_for_subject(subject=request.user, sighting_id=sighting_id)
        return Response(_output(request, sighting_dismiss(sighting=sighting)))


class MeSightingRemoveApi(APIView):
    @extend_schema(
        operation_id="me_sighting_remove",
        tags=["me"],
        summary="Ask for the photo of a sighting to be deleted",
        description=(
            "The app that holds the photo is told at once (`sighting.removal_requested`, without who you are) and has "
            "48 hours (`removal_due_at`); the status reads `removal_requested`, then `removed` once the photo is gone. "
            "Asking again changes nothing; 409 `sighting_removed` once the photo is gone. Another person's sighting "
            "answers 404, as an unknown one does."
        ),
        request=None,
        responses=with_problems(
            {200: MeSightingOutputSerializer},
            403,
            404,
            409,
            said={409: "The photo is already gone: there is nothing left to remove (`sighting_removed`)."},
        ),
    )
    def post(self, request, sighting_id):
        sighting = sighting_get_for_subject(subject=request.user, sighting_id=sighting_id)
        return Response(_output(request, sighting_removal_request(sighting=sighting)))
