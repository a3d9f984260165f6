"""The subject's own consent API under /api/v1/me/ (session auth with CSRF)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from consents.models import Channel, ConsentStateName
from consents.selectors import consent_states_for_subject, consent_status_get
from consents.services import consent_decide


class MeConsentOutputSerializer(serializers.Serializer):
    purpose = serializers.CharField(source="purpose_slug")
    title = serializers.CharField()
    granted = serializers.BooleanField()
    state = serializers.ChoiceField(choices=ConsentStateName.choices)
    purpose_version = serializers.IntegerField(allow_null=True)
    changed_at = serializers.DateTimeField(allow_null=True)


class MeConsentListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_consents_list",
        tags=["me"],
        summary="List my consents",
        description="One row per active purpose with the signed-in subject's current decision and state.",
        responses=inline_serializer("MeConsentList", {"consents": MeConsentOutputSerializer(many=True)}),
    )
    def get(self, request):
        statuses = consent_states_for_subject(subject=request.user)
        return Response({"consents": MeConsentOutputSerializer(statuses, many=True).data})


class MeConsentUpdateApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        granted = serializers.BooleanField(required=True)

        class Meta:
            # A unique schema name: a bare nested "InputSerializer" collides with other views' in /api/schema/.
            ref_name = "MeConsentDecision"

        def to_internal_value(self, data):
            # Only a real JSON boolean is a decision; "yes", 1 or "false" are refused, not guessed.
            if isinstance(data, dict) and "granted" in data and not isinstance(data["granted"], bool):
                raise serializers.ValidationError({"granted": ["Must be true or false."]})
            return super().to_internal_value(data)

    @extend_schema(
        operation_id="me_consents_update",
        tags=["me"],
        summary="Grant or withdraw a purpose",
        description=(
            "Records the decision (`granted` true or false) in the consent ledger, effective at once. A withdrawal "
            "tells every connected app and erases uploads left with no granted purpose. An unknown or inactive "
            "purpose answers 404."
        ),
        request=InputSerializer,
        responses=MeConsentOutputSerializer,
    )
    def put(self, request, purpose: str):
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        event = consent_decide(
            subject=request.user,
            purpose_slug=purpose,
            granted=body.validated_data["granted"],
            channel=Channel.API,
            actor=request.user,
        )
        status = consent_status_get(subject=request.user, purpose=event.purpose)
        return Response(MeConsentOutputSerializer(status).data)
