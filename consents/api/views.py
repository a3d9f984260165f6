"""The subject's own consent API under /api/v1/me/ (session auth with CSRF)."""

import json

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import with_problems
from consents.exceptions import InvalidExpiry, ReceiptNotFound
from consents.models import SCOPE_ALL_APPS, SCOPE_THIS_APP, Channel, ConsentStateName
from consents.receipts import RECEIPT_MEDIA_TYPE, receipt_get, receipts_for_subject
from consents.selectors import (
    connected_app_get,
    consent_answer_for_app,
    consent_answers_by_app,
    consent_states_for_subject,
    consent_status_get,
    consent_withdrawal_impact,
    purpose_get_active,
    restriction_slugs_for_subject,
)
from consents.services import (
    consent_decide,
    consent_exception_remove,
    consent_exception_set,
    expiry_validate,
    restrictions_set,
)


class MeConsentOutputSerializer(serializers.Serializer):
    purpose = serializers.CharField(source="purpose_slug")
    title = serializers.CharField()
    granted = serializers.BooleanField()
    state = serializers.ChoiceField(choices=ConsentStateName.choices)
    purpose_version = serializers.IntegerField(allow_null=True)
    changed_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When this grant ends by itself (a withdrawal, channel `expiry`); null when open-ended.",
    )


class MeAppAnswerSerializer(serializers.Serializer):
    """One connected app's answer for one purpose."""

    app_id = serializers.CharField(source="app.link_id", help_text="The connected app's id (as in `me/links/`).")
    app = serializers.CharField(source="app.name", help_text="The connected app's name.")
    granted = serializers.BooleanField()
    scope = serializers.ChoiceField(
        choices=[SCOPE_ALL_APPS, SCOPE_THIS_APP],
        help_text="`this_app`: your exception for this app; `all_apps`: it follows your decision for all apps.",
    )

    class Meta:
        ref_name = "MeAppAnswer"


class MeConsentListRowSerializer(MeConsentOutputSerializer):
    apps = MeAppAnswerSerializer(many=True, help_text="Each connected app's answer for this purpose.")

    class Meta:
        ref_name = "MeConsentWithApps"


def _rows_with_apps(subject, statuses) -> list[dict]:
    """The subject's rows, each with every connected app's answer (two queries for all of them)."""
    by_app = consent_answers_by_app(subject=subject, rows=statuses)
    # One serializer for all rows and one for all apps' answers: DRF copies its fields per instance, and one
    # instance per row cost more than the queries.
    rows = MeConsentOutputSerializer(statuses, many=True).data
    answers = iter(MeAppAnswerSerializer([a for s in statuses for a in by_app[s.purpose_slug]], many=True).data)
    return [
        {**row, "apps": [next(answers) for _ in by_app[s.purpose_slug]]} for row, s in zip(rows, statuses, strict=True)
    ]


class MeConsentDecisionOutputSerializer(MeConsentListRowSerializer):
    uploads_to_erase = serializers.IntegerField(
        help_text="Face uploads this decision leaves with no granted purpose: they are erased within minutes (0 for a grant)."
    )

    class Meta:
        ref_name = "MeConsentDecisionResult"


class StrictDecisionSerializer(serializers.Serializer):
    granted = serializers.BooleanField(required=True)

    class Meta:
        ref_name = "MeAppDecision"

    def to_internal_value(self, data):
        # Only a real JSON boolean is a decision; "yes", 1 or "false" are refused, not guessed.
        if isinstance(data, dict) and "granted" in data and not isinstance(data["granted"], bool):
            raise serializers.ValidationError({"granted": ["Must be true or false."]})
        return super().to_internal_value(data)


class MeConsentListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_consents_list",
        tags=["me"],
        summary="List my consents",
        description="One row per active purpose with the signed-in subject's current decision and state.",
        responses=with_problems(
            {200: inline_serializer("MeConsentList", {"consents": MeConsentListRowSerializer(many=True)})}, 403
        ),
    )
    def get(self, request):
        return Response({"consents": _rows_with_apps(request.user, consent_states_for_subject(subject=request.user))})


class MeConsentUpdateApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(StrictDecisionSerializer):
        expires_at = serializers.DateTimeField(
            required=False,
            allow_null=True,
            help_text="Optional, with a grant only: when it ends by itself (ISO 8601, future, at most 3 years ahead).",
        )

        class Meta:
            # A unique schema name: a bare nested "InputSerializer" collides with other views' in /api/schema/.
            ref_name = "MeConsentDecision"

        def to_internal_value(self, data):
            try:
                return super().to_internal_value(data)
            except serializers.ValidationError as error:
                if isinstance(error.detail, dict) and set(error.detail) == {"expires_at"}:
                    raise InvalidExpiry("The expiry must be an ISO 8601 date and time.") from error
                raise

    @extend_schema(
        operation_id="me_consents_update",
        tags=["me"],
        summary="Grant or withdraw a purpose",
        description=(
            "Records the decision (`granted` true or false) in the consent ledger, effective at once. A grant may "
            "carry `expires_at` (ISO 8601, future, at most 3 years ahead): then it ends by itself, as a withdrawal "
            "does; otherwise, or not with a grant, 400 with code `invalid_expiry`. A withdrawal "
            "tells every connected app and erases uploads left with no granted purpose; `uploads_to_erase` "
            "says how many. An unknown or inactive purpose answers 404."
        ),
        request=InputSerializer,
        responses=with_problems({200: MeConsentDecisionOutputSerializer}, 400, 403, 404),
    )
    def put(self, request, purpose: str):
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        granted = body.validated_data["granted"]
        expires_at = body.validated_data.get("expires_at")
        expiry_validate(granted=granted, expires_at=expires_at)  # before anything is read or changed
        impact = None if granted else consent_withdrawal_impact(subject=request.user, purpose_slug=purpose)
        event = consent_decide(
            subject=request.user,
            purpose_slug=purpose,
            granted=granted,
            channel=Channel.API,
            actor=request.user,
            expires_at=expires_at,
        )
        (row,) = _rows_with_apps(request.user, [consent_status_get(subject=request.user, purpose=event.purpose)])
        data = {**row, "uploads_to_erase": impact.uploads_to_erase if impact else 0}
        return Response(data)


class MeAppDecisionOutputSerializer(MeAppAnswerSerializer):
    purpose = serializers.CharField()
    uploads_to_erase = serializers.IntegerField(
        help_text="Face uploads this app holds that are left with no granted purpose: erased within minutes."
    )
    appearances_to_take_down = serializers.IntegerField(
        help_text="Live media made with your likeness in this app that it is asked to take down."
    )

    class Meta:
        ref_name = "MeAppDecisionResult"


class MeConsentAppApi(APIView):
    """Per-app exceptions: the subject's own answer for one connected app, whatever the decision for all apps."""

    permission_classes = [IsAuthenticated]

    def _answer(self, request, purpose, app, impact) -> Response:
        answer = consent_answer_for_app(subject=request.user, purpose=purpose, app=app)
        return Response(
            {
                **MeAppAnswerSerializer(answer).data,
                "purpose": purpose.slug,
                "uploads_to_erase": impact.uploads_to_erase if impact else 0,
                "appearances_to_take_down": impact.appearances_to_take_down if impact else 0,
            }
        )

    @extend_schema(
        operation_id="me_consents_app_update",
        tags=["me"],
        summary="Decide a purpose for one app",
        description=(
            "Sets an exception for one connected app (`link_id` as in `me/links/`): `granted` true or false applies "
            "to that app whatever you decided for all apps, until you remove it. Recorded in the consent ledger "
            "with its scope; only that app is told. A withdrawal erases the uploads that app holds with no other "
            "granted purpose and asks it to take down what it made under the purpose (the answer counts both). "
            "An unknown purpose or app answers 404."
        ),
        request=StrictDecisionSerializer,
        responses=with_problems({200: MeAppDecisionOutputSerializer}, 400, 403, 404),
    )
    def put(self, request, purpose: str, link_id: str):
        app = connected_app_get(subject=request.user, link_id=link_id)
        found = purpose_get_active(purpose_slug=purpose)
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        body = StrictDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        granted = body.validated_data["granted"]
        impact = (
            None
            if granted
            else consent_withdrawal_impact(subject=request.user, purpose_slug=purpose, link_ref=app.link_ref)
        )
        consent_exception_set(
            subject=request.user,
            purpose_slug=purpose,
            link_ref=app.link_ref,
            granted=granted,
            channel=Channel.API,
            actor=request.user,
        )
        return self._answer(request, found, app, impact)

    @extend_schema(
        operation_id="me_consents_app_delete",
        tags=["me"],
        summary="Remove an app's exception",
        description=(
            "The app follows your decision for all apps again (recorded in the ledger; the app is told). Removing "
            "an exception that does not exist changes nothing. When the decision for all apps is a no, what the app "
            "holds under the purpose goes as after a withdrawal (the answer counts it). An unknown purpose or app "
            "answers 404."
        ),
        request=None,
        responses=with_problems({200: MeAppDecisionOutputSerializer}, 403, 404),
    )
    def delete(self, request, purpose: str, link_id: str):
        app = connected_app_get(subject=request.user, link_id=link_id)
        found = purpose_get_active(purpose_slug=purpose)
        before = consent_answer_for_app(subject=request.user, purpose=found, app=app)
        all_apps = consent_status_get(subject=request.user, purpose=found)
        impact = None
        if before.own and before.granted and not all_apps.granted:
            impact = consent_withdrawal_impact(subject=request.user, purpose_slug=purpose, link_ref=app.link_ref)
        consent_exception_remove(
            subject=request.user, purpose_slug=purpose, link_ref=app.link_ref, channel=Channel.API, actor=request.user
        )
        return self._answer(request, found, app, impact)


class MeConsentWithdrawalImpactApi(APIView):
    """Nothing erased by surprise: what withdrawing this purpose now would erase or take down, before deciding."""

    permission_classes = [IsAuthenticated]

    class OutputSerializer(serializers.Serializer):
        class AppUploadsSerializer(serializers.Serializer):
            app = serializers.CharField(help_text="The connected app's name.")
            uploads = serializers.IntegerField()

            class Meta:
                ref_name = "WithdrawalImpactApp"

        uploads_to_erase = serializers.IntegerField(help_text="Face uploads left with no granted purpose, in all.")
        by_app = AppUploadsSerializer(many=True, help_text="Of those, the ones each connected app holds.")
        appearances_to_take_down = serializers.IntegerField()

        class Meta:
            ref_name = "WithdrawalImpact"

    @extend_schema(
        operation_id="me_consents_withdrawal_impact",
        tags=["me"],
        summary="What withdrawing a purpose would erase",
        description=(
            "Before deciding: how many face uploads withdrawing this purpose now would leave with no granted purpose "
            "(they would be erased), how many of them each connected app holds, and how many pieces of media made "
            "with the person's likeness apps would be asked to take down. Changes nothing. An unknown or inactive "
            "purpose answers 404."
        ),
        responses=with_problems({200: OutputSerializer}, 403, 404),
    )
    def get(self, request, purpose: str):
        impact = consent_withdrawal_impact(subject=request.user, purpose_slug=purpose)
        return Response(
            {
                "uploads_to_erase": impact.uploads_to_erase,
                "by_app": [{"app": app, "uploads": n} for app, n in impact.uploads_by_app.items()],
                "appearances_to_take_down": impact.appearances_to_take_down,
            }
        )


class MeRestrictionsApi(APIView):
    """Likeness restrictions: the subject reads and replaces their set, by slugs from the list only."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        restrictions = serializers.ListField(child=serializers.CharField(max_length=64), max_length=100)

        class Meta:
            ref_name = "MeRestrictionsUpdate"

    class OutputSerializer(serializers.Serializer):
        restrictions = serializers.ListField(
            child=serializers.SlugField(), help_text="Slugs of the chosen restrictions, in list order."
        )

        class Meta:
            ref_name = "MeRestrictions"

    @extend_schema(
        operation_id="me_restrictions_get",
        tags=["me"],
        summary="List my likeness restrictions",
        description="The slugs of the likeness restrictions the signed-in subject has set, in list order.",
        responses=with_problems({200: OutputSerializer}, 403),
    )
    def get(self, request):
        return Response({"restrictions": restriction_slugs_for_subject(subject=request.user)})

    @extend_schema(
        operation_id="me_restrictions_update",
        tags=["me"],
        summary="Set my likeness restrictions",
        description=(
            "Replaces the whole set with the slugs given (an empty list clears it). Only slugs from the list count: "
            "an unknown or retired one answers 400 with code `unknown_restriction`, naming it, and changes nothing. "
            "When the set changes, every connected app is told (`restrictions.changed`)."
        ),
        request=InputSerializer,
        responses=with_problems({200: OutputSerializer}, 400, 403),
    )
    def put(self, request):
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        chosen = restrictions_set(subject=request.user, slugs=body.validated_data["restrictions"], actor=request.user)
        return Response({"restrictions": chosen})


class JoseRenderer(BaseRenderer):
    """Lets a client ask for `application/jose`; a receipt is sent as is, a problem still as JSON."""

    media_type = RECEIPT_MEDIA_TYPE
    format = "jws"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data.encode() if isinstance(data, str) else json.dumps(data).encode()


class MeReceiptSerializer(serializers.Serializer):
    event_id = serializers.IntegerField(help_text="The ledger event's sequence number.")
    created_at = serializers.DateTimeField(source="event.created_at")
    purpose = serializers.CharField(source="event.purpose_slug")
    decision = serializers.ChoiceField(choices=["granted", "withdrawn"])
    scope = serializers.ChoiceField(source="payload.decision.scope", choices=[SCOPE_ALL_APPS, SCOPE_THIS_APP])
    jws = serializers.CharField(help_text="The signed receipt: a compact JWS (EdDSA), keys at /.well-known/jwks.json.")

    class Meta:
        ref_name = "MeReceipt"


class MeReceiptListApi(APIView):
    """Proof: a signed receipt for every consent decision of the signed-in person."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_receipts_list",
        tags=["me"],
        summary="List my signed consent receipts",
        description=(
            "One receipt per consent decision in the ledger, newest first: the event, its purpose and decision, and "
            "the receipt as a compact JWS signed with the portal's Ed25519 key (alg EdDSA, typ "
            "`consent-receipt+jws`). Verify it offline against `/.well-known/jwks.json`."
        ),
        responses=with_problems(
            {200: inline_serializer("MeReceiptList", {"receipts": MeReceiptSerializer(many=True)})}, 403
        ),
    )
    def get(self, request):
        return Response({"receipts": MeReceiptSerializer(receipts_for_subject(subject=request.user), many=True).data})


class MeReceiptApi(APIView):
    """Proof: one signed receipt, as `application/jose`."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer, JoseRenderer]

    @extend_schema(
        operation_id="me_receipts_get",
        tags=["me"],
        summary="Download one signed consent receipt",
        description=(
            "The receipt of one of your consent decisions (`event_id` as in the list) as `application/jose`: the "
            "compact JWS is the whole body. Another person's decision or an unknown id answers 404."
        ),
        responses=with_problems(
            {(200, RECEIPT_MEDIA_TYPE): OpenApiResponse(OpenApiTypes.STR, description="The compact JWS.")}, 403, 404
        ),
    )
    def get(self, request, event_id: str):
        if not event_id.isdigit():
            raise ReceiptNotFound()
        receipt = receipt_get(subject=request.user, event_id=int(event_id))
        return HttpResponse(receipt.jws, content_type=RECEIPT_MEDIA_TYPE)
