"""Partner API v1 (DESIGN.md): one thin view per operation, scoped to the calling partner."""

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import query_validate, with_problems
from consents.models import ConsentStateName
from consents.selectors import purpose_list_active, restriction_list_active
from partners.api.permissions import HasScope, PartnerAuthentication, PartnerRateThrottle, partner_for_request
from partners.selectors import (
    CONSENT_CHECK_STATES,
    CONSENT_SCOPES,
    consent_check_bulk,
    consent_rows_for_partner,
    event_page_for_partner,
    link_get_for_subject,
    link_list_for_subject,
)
from partners.services import link_code_create, link_consent_reads_record, link_redeem, link_unlink


class PartnerApi(APIView):
    authentication_classes = [PartnerAuthentication]
    permission_classes = [HasScope]
    throttle_classes = [PartnerRateThrottle]
    throttle_scope = "partner"


class PingApi(PartnerApi):
    """Answers a constant to any valid token: a credentials check for partners, and the benchmark's floor."""

    required_scopes: list[str] = []  # any valid token of an active partner, whatever its scopes

    @extend_schema(
        operation_id="ping",
        tags=["links"],
        summary="Check your credentials",
        description=(
            'Answers `{"ok": true}` to any valid token of an active partner, whatever its scopes. Call it first to '
            "check your client id, secret and token request."
        ),
        responses=with_problems({200: inline_serializer("Ping", {"ok": serializers.BooleanField()})}, 401, 429),
    )
    def get(self, request):
        return Response({"ok": True})


class PurposeListApi(PartnerApi):
    required_scopes = ["consents:read"]

    @extend_schema_serializer(component_name="Purpose")
    class OutputSerializer(serializers.Serializer):
        slug = serializers.SlugField()
        title = serializers.CharField()
        description = serializers.CharField()
        version = serializers.IntegerField()
        retention_days = serializers.IntegerField()

    @extend_schema(
        operation_id="purposes_list",
        tags=["purposes"],
        summary="List the purposes",
        description=(
            "Every active purpose a subject can grant, with its current version and retention in days. Ask for "
            "consent and upload by `slug`; after a new version that requires re-consent, older grants count as no."
        ),
        responses=with_problems(
            {200: inline_serializer("PurposeList", {"purposes": OutputSerializer(many=True)})}, 401, 403, 429
        ),
    )
    def get(self, request):
        return Response({"purposes": self.OutputSerializer(purpose_list_active(), many=True).data})


class RestrictionListApi(PartnerApi):
    required_scopes = ["consents:read"]

    @extend_schema_serializer(component_name="LikenessRestriction")
    class OutputSerializer(serializers.Serializer):
        slug = serializers.SlugField()
        title = serializers.CharField()
        description = serializers.CharField()
        version = serializers.IntegerField()

    @extend_schema(
        operation_id="restrictions_list",
        tags=["purposes"],
        summary="List the likeness restrictions",
        description=(
            "The fixed list of rules a subject can set for every use of their likeness (for example `no-political`:"
            " never in political content), with each one's current version. A subject's choices come as slugs in "
            "`restrictions` of `GET /api/v1/subjects/{subject_id}/consents/` and in `restrictions.changed` webhooks;"
            " subjects cannot write free text, so nothing they write reaches your prompts."
        ),
        responses=with_problems(
            {200: inline_serializer("RestrictionList", {"restrictions": OutputSerializer(many=True)})},
            401,
            403,
            429,
        ),
    )
    def get(self, request):
        return Response({"restrictions": self.OutputSerializer(restriction_list_active(), many=True).data})


class LinkRedeemApi(PartnerApi):
    required_scopes = ["links:write"]

    @extend_schema_serializer(component_name="LinkRedeemRequest")
    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(max_length=20)

    @extend_schema_serializer(component_name="Link")
    class OutputSerializer(serializers.Serializer):
        subject_id = serializers.UUIDField(source="pairwise_id")
        linked_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="links_redeem",
        tags=["links"],
        summary="Redeem a link code",
        description=(
            "Exchanges the single-use code that the subject made in the portal (valid for 10 minutes) for a link. "
            "The answer's `subject_id` is the pairwise id to use in every other call; each partner gets a different"
            " one."
        ),
        request=InputSerializer,
        responses=with_problems({201: OutputSerializer}, 400, 401, 403, 429),
    )
    def post(self, request):
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        link = link_redeem(partner=partner_for_request(request), code=body.validated_data["code"])
        return Response(self.OutputSerializer(link).data, status=status.HTTP_201_CREATED)


@extend_schema_serializer(component_name="SubjectConsent")
class ConsentRowSerializer(serializers.Serializer):
    """Documents the rows; the hot path builds the same shape with `consent_row_data`."""

    purpose = serializers.CharField(source="purpose_slug")
    granted = serializers.BooleanField()
    state = serializers.ChoiceField(choices=ConsentStateName.choices)
    purpose_version = serializers.IntegerField(allow_null=True)
    changed_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="When a grant ends by itself (a `consent.withdrawn` follows); null when open-ended."
    )
    scope = serializers.ChoiceField(
        choices=CONSENT_SCOPES,
        help_text=(
            "`all_apps`: the subject's decision for every app. `this_app`: the subject decided for your app alone, "
            "and that answer applies to you whatever they decided for all apps."
        ),
    )


_changed_at = serializers.DateTimeField(allow_null=True)


def consent_row_data(row) -> dict:
    """One row as ConsentRowSerializer gives it, without a serializer per request: this is the partner
    API's hottest path, and DRF's per-request field copies cost more than the rest of the view."""
    return {
        "purpose": row.purpose_slug,
        "granted": row.granted,
        "state": row.state,
        "purpose_version": row.purpose_version,
        "changed_at": _changed_at.to_representation(row.changed_at) if row.changed_at else None,
        "expires_at": _changed_at.to_representation(row.expires_at) if row.expires_at else None,
        "scope": row.scope,
    }


class SubjectConsentListApi(PartnerApi):
    required_scopes = ["consents:read"]

    @extend_schema(
        operation_id="subject_consents_list",
        tags=["consents"],
        summary="Get a subject's consents",
        description=(
            "The subject's current decision for every active purpose, as it applies to your app: the decision for "
            "all apps (`scope: all_apps`) or one the subject made for your app alone (`scope: this_app`). Only "
            "`state: granted` means yes; `withdrawn`, `not_asked` and `reconsent_required` all mean no. A grant with "
            "`expires_at` ends by itself then. `restrictions` lists the slugs of the likeness "
            "restrictions the subject has set (see `GET /api/v1/restrictions/`): honour every one in what you make. "
            "A subject id that is unknown or not linked to you answers 404."
        ),
        responses=with_problems(
            {
                200: inline_serializer(
                    "SubjectConsents",
                    {
                        "subject_id": serializers.UUIDField(),
                        "consents": ConsentRowSerializer(many=True),
                        "restrictions": serializers.ListField(child=serializers.SlugField()),
                    },
                )
            },
            401,
            403,
            404,
            429,
        ),
    )
    def get(self, request, subject_id):
        link_id, rows, restrictions = consent_rows_for_partner(
            partner=partner_for_request(request), subject_id=subject_id
        )
        link_consent_reads_record(link_ids=[link_id])
        return Response(
            {
                "subject_id": str(uuid.UUID(str(subject_id))),
                "consents": [consent_row_data(row) for row in rows],
                "restrictions": restrictions,
            }
        )


class ShortStringListField(serializers.ListField):
    """A ListField of CharField(max_length=n) that takes plain short strings in one pass.

    DRF runs every item through the child field's whole pipeline, about 10 µs each: 10 ms of a 1,000-subject
    check. Items that pipeline would return unchanged (non-blank ASCII, no surrounding space, no NUL, within
    max_length) are accepted as they are; a list with anything else takes DRF's path and gets its errors.
    """

    def run_child_validation(self, data):
        limit = self.child.max_length
        if all(
            type(item) is str
            and 0 < len(item) <= limit
            and item.isascii()
            and item.strip() == item
            and "\x00" not in item
            for item in data
        ):
            return list(data)
        return super().run_child_validation(data)


class ConsentCheckApi(PartnerApi):
    required_scopes = ["consents:read"]
    throttle_scope = "partner_bulk"

    @extend_schema_serializer(component_name="ConsentCheckRequest")
    class InputSerializer(serializers.Serializer):
        subject_ids = ShortStringListField(child=serializers.CharField(max_length=64), min_length=1, max_length=1000)
        purposes = serializers.ListField(child=serializers.SlugField(max_length=64), min_length=1, max_length=100)

    @extend_schema_serializer(component_name="ConsentCheckResult")
    class OutputSerializer(serializers.Serializer):
        subject_id = serializers.CharField()
        purpose = serializers.CharField()
        granted = serializers.BooleanField()
        state = serializers.ChoiceField(choices=CONSENT_CHECK_STATES)
        scope = serializers.ChoiceField(
            choices=CONSENT_SCOPES,
            allow_null=True,
            help_text="As in a subject's consents: `all_apps` or `this_app`; null for `unknown_subject`.",
        )

    @extend_schema(
        operation_id="consent_checks_create",
        tags=["consents"],
        summary="Check consents in bulk",
        description=(
            "Up to 1,000 subject ids and 100 purposes in one call, one result per pair, each the answer that "
            "applies to your app (`scope` as in a subject's consents). Ids that are unknown or not"
            " linked to you come back with `state: unknown_subject` rather than an error."
        ),
        request=InputSerializer,
        responses=with_problems(
            {200: inline_serializer("ConsentCheckResults", {"results": OutputSerializer(many=True)})},
            400,
            401,
            403,
            429,
        ),
    )
    def post(self, request):
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rows, link_ids = consent_check_bulk(
            partner=partner_for_request(request),
            subject_ids=body.validated_data["subject_ids"],
            purpose_slugs=body.validated_data["purposes"],
        )
        link_consent_reads_record(link_ids=link_ids)
        # Plain dicts in the shape of OutputSerializer (which documents it): up to 100,000 rows.
        results = [
            {"subject_id": r.subject_id, "purpose": r.purpose, "granted": r.granted, "state": r.state, "scope": r.scope}
            for r in rows
        ]
        return Response({"results": results})


class DigitsField(serializers.IntegerField):
    """A whole number written in decimal digits only: IntegerField would also take a sign, spaces or "5.0"."""

    def to_internal_value(self, data):
        if not (isinstance(data, str) and data.isdecimal()):
            self.fail("invalid")
        try:
            return int(data)
        except ValueError:  # more digits than int() reads
            self.fail("invalid")


_LIMIT_ERROR = "A whole number from 1 to 500."


class EventListApi(PartnerApi):
    required_scopes = ["events:read"]

    class QuerySerializer(serializers.Serializer):
        after = DigitsField(required=False, default=None, error_messages={"invalid": "Not a cursor from this feed."})
        limit = DigitsField(
            required=False,
            default=100,
            min_value=1,
            max_value=500,
            error_messages={"invalid": _LIMIT_ERROR, "min_value": _LIMIT_ERROR, "max_value": _LIMIT_ERROR},
        )

    @extend_schema_serializer(component_name="Event")
    class OutputSerializer(serializers.Serializer):
        id = serializers.CharField(source="webhook_id", help_text="The webhook-id header of the same event.")
        type = serializers.CharField(source="event_type")
        timestamp = serializers.CharField(source="payload.timestamp")
        data = serializers.DictField(source="payload.data")

    @extend_schema(
        operation_id="events_list",
        tags=["events"],
        summary="Read your event feed",
        description=(
            "Your events, oldest first, with the same payloads as the webhooks: for catching up after downtime. "
            "Pass `next_cursor` as `after` to go on; `has_more` says whether there is more."
        ),
        parameters=[
            OpenApiParameter(
                "after", OpenApiTypes.STR, pattern=r"^[0-9]+$", description="The `next_cursor` of the previous page."
            ),
            OpenApiParameter(
                "limit", {"type": "integer", "minimum": 1, "maximum": 500}, description="At most 500; 100 by default."
            ),
        ],
        responses=with_problems(
            {
                200: inline_serializer(
                    "EventFeed",
                    {
                        "events": OutputSerializer(many=True),
                        "next_cursor": serializers.CharField(allow_null=True),
                        "has_more": serializers.BooleanField(),
                    },
                )
            },
            400,
            401,
            403,
            429,
        ),
    )
    def get(self, request):
        # A plain dict: from a QueryDict, DRF would read `?after=` as no cursor at all instead of a bad one.
        query = query_validate(self.QuerySerializer(data=request.query_params.dict()), cursors=("after",))
        page = event_page_for_partner(partner=partner_for_request(request), **query)
        return Response(
            {
                "events": self.OutputSerializer(page.events, many=True).data,
                "next_cursor": page.next_cursor,
                "has_more": page.has_more,
            }
        )


# --- The subject's own side: link codes and connected apps (session auth with CSRF) ------------


class MeLinkCodeCreateApi(APIView):
    @extend_schema(
        operation_id="me_link_codes_create",
        tags=["me"],
        summary="Make a link code",
        description="A single-use code, valid for 10 minutes, that the subject gives to an app to connect it.",
        request=None,
        responses=with_problems(
            {
                201: inline_serializer(
                    "LinkCode", {"code": serializers.CharField(), "expires_at": serializers.DateTimeField()}
                )
            },
            403,
        ),
    )
    def post(self, request):
        link_code, code = link_code_create(subject=request.user)
        return Response({"code": code, "expires_at": link_code.expires_at}, status=status.HTTP_201_CREATED)


@extend_schema_serializer(component_name="ConnectedApp")
class MeLinkOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="pairwise_id")
    partner = serializers.CharField(source="partner.name")
    scopes = serializers.ListField(source="partner.scopes", child=serializers.CharField())
    linked_at = serializers.DateTimeField()
    last_consent_read_at = serializers.DateTimeField(allow_null=True)
    latest_event_type = serializers.CharField(allow_null=True)
    latest_event_status = serializers.CharField(allow_null=True)
    latest_event_delivered_at = serializers.DateTimeField(allow_null=True)


class MeLinkListApi(APIView):
    @extend_schema(
        operation_id="me_links_list",
        tags=["me"],
        summary="List my connected apps",
        description=(
            "Each connected app with its scopes, when it last read the subject's consents, and the latest event "
            "sent to it."
        ),
        responses=with_problems(
            {200: inline_serializer("ConnectedApps", {"links": MeLinkOutputSerializer(many=True)})}, 403
        ),
    )
    def get(self, request):
        return Response({"links": MeLinkOutputSerializer(link_list_for_subject(subject=request.user), many=True).data})


class MeLinkDeleteApi(APIView):
    @extend_schema(
        operation_id="me_links_delete",
        tags=["me"],
        summary="Disconnect an app",
        description=(
            "The app is told (`subject.unlinked`) and its pairwise subject id answers 404 from then on. Answers 204."
        ),
        responses=with_problems({204: None}, 403, 404),
    )
    def delete(self, request, link_id):
        link_unlink(link=link_get_for_subject(subject=request.user, link_id=link_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
