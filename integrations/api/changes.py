"""GET /api/v1/changes/?after=<seq>: the change feed, area-scoped."""

from __future__ import annotations

from django.db.models import BooleanField, Case, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core import audit
from core.access import Access, Perm, access_digest, access_for
from core.api.fields import INT64_MAX, CharField, IntegerField, ModelSerializer
from core.api.views import KnownQueryParamsMixin
from core.errors import Conflict
from core.feed import FEED
from core.models import ChangeEvent
from core.personal import mask, personal_fields
from geo.models import Commune, Village
from households.selectors import outside_area

ENTITIES = [followed.entity for followed in FEED.values()]
# The model of each entity's payload, for masking (core.personal).
MODEL_OF = {followed.entity: label for label, followed in FEED.items()}


def reader_events(access: Access) -> tuple[QuerySet[ChangeEvent], Q]:
    """The events a reader's feed serves (those of records in their area, and of records
    that moved out of it), and the condition of the ones read whole (in the area now)."""
    yours = ChangeEvent.objects.all()
    if access.everywhere:
        return yours, Q()
    codes, villages = sorted(access.commune_codes), sorted(access.village_ids)
    here = Q(commune__in=codes) | Q(village__in=villages)
    left = Q(previous_commune__in=codes) | Q(previous_village__in=villages)
    return yours.filter(here | left), here


RIGHTS_HELP = (
    "Your role and area when this answer was made, as a fingerprint. Store it with the "
    "position and send it back as `rights`: once your role or area has changed (a wider area "
    "too), the position is refused with 409 `feed_rights_changed`, because what you read "
    "before is not your area's now. Read again from `after=0` (a download: from its first "
    "page)."
)
RIGHTS_CONFLICT = (
    "Your role or area changed since `rights` was handed out with this position: read again "
    "from `after=0` (a download: from its first page).",
    ["feed_rights_changed"],
)


def require_same_rights(user, rights: str | None) -> None:
    """409 `feed_rights_changed` when `rights` (handed out with a feed position: a feed
    page's, a field download's) is not the user's rights now (core.access.access_digest).
    A position read under other rights is not a place to resume from: a wider area's
    earlier records were never read from it, a narrower one's position may no longer be the
    reader's (a 400 otherwise, with no way to tell why)."""
    if rights and rights != access_digest(user):
        raise Conflict(
            gettext(
                "Your role or area changed since this position was handed out: what you read "
                "from it is not your area's now. Read again from after=0 (a download: from its "
                "first page)."
            ),
            fields={"rights": gettext("Not your role and area now.")},
            code="feed_rights_changed",
        )


def latest_position(access: Access) -> int:
    """The position of the reader's latest event in their area (0: none yet): where a reader
    who has just read the register follows the feed from. Every later event of theirs comes
    after it, and it is one the feed accepts from them; the national head would tell how many
    changes were made everywhere, and is refused by their feed when nothing of theirs follows
    it. (A move-out of the area after it is read once more: a repeat, never a loss.)

    Found by each commune's latest event, one probe of the (commune, seq) index backwards
    (a village's: its commune's events, backwards to the village's), not by walking the feed
    back from its end to the reader's last event: that walked every event since, 21 ms for a
    quiet commune at 88,599 events, and grows with the country's feed."""
    numbered = ChangeEvent.objects.filter(seq__isnull=False).order_by("-seq").values("seq")
    if access.everywhere:
        return numbered.values_list("seq", flat=True).first() or 0
    communes = Commune.objects.filter(code__in=access.commune_codes).annotate(
        latest=Subquery(numbered.filter(commune=OuterRef("code"))[:1])
    )
    villages = Village.objects.filter(pk__in=access.village_ids).annotate(
        latest=Subquery(numbered.filter(commune=OuterRef("commune_id"), village=OuterRef("pk"))[:1])
    )
    found = [
        units.aggregate(m=Max("latest"))["m"]
        for units, grant in ((communes, access.commune_codes), (villages, access.village_ids))
        if grant
    ]
    return max(filter(None, found), default=0)


class ChangesParams(serializers.Serializer):
    after = IntegerField(
        min_value=0,
        max_value=INT64_MAX,
        default=0,
        help_text="The `next_after` of your previous read.",
    )
    types = serializers.MultipleChoiceField(choices=ENTITIES, required=False)
    commune = CharField(required=False)
    limit = IntegerField(min_value=1, max_value=1000, default=500)
    rights = CharField(
        required=False,
        max_length=64,
        help_text="The `rights` of your previous read (checked when `after` is not 0).",
    )


MOVED_OUT = (
    "Null when the change moved the record out of your area (the event is yours through "
    "`previous_commune`/`previous_village`): where it went is not yours to read."
)


class ChangeSerializer(ModelSerializer):
    class Meta:
        model = ChangeEvent
        fields = [
            "seq",
            "at",
            "entity",
            "entity_id",
            "action",
            "commune",
            "village",
            "previous_commune",
            "previous_village",
            "channel",
            "user",
            "payload",
        ]
        extra_kwargs = {
            # Null only before its writer commits (core.feed): never read so.
            "seq": {"allow_null": False, "required": True},
            # A move out of the reader's area says where the record was, not where it went.
            "commune": {"allow_null": True, "help_text": MOVED_OUT},
            "village": {"help_text": MOVED_OUT},
            "payload": {
                "allow_null": True,
                "help_text": "The record's values after the change (personal fields null "
                "without personal-data rights). " + MOVED_OUT,
            },
        }


class ChangePageSerializer(serializers.Serializer):
    results = ChangeSerializer(many=True)
    next_after = serializers.IntegerField(help_text="Store it; pass it as `after` next time.")
    has_more = serializers.BooleanField()
    rights = serializers.CharField(help_text=RIGHTS_HELP)


class ChangesView(KnownQueryParamsMixin, APIView):
    """Read the change feed. Every create/update/delete of households, members, surveys,
    assessments, official statuses, assignments and disbursements, in commit order. Resume from the
    `next_after` you stored: no gaps and no duplicates, also while others write. A change that moved
    a record out of your area is shown to you too, as a move-out: `previous_commune` and
    `previous_village` say where it was; `commune`, `village` and `payload` are null (where it
    went, and what it is now, are not yours to read). `commune=` matches an event by the commune
    you are shown: a move-out by its `previous_commune` only."""

    query_params = ChangesParams
    extra_problem_statuses = {None: ("409",)}
    problems = {None: {"409": RIGHTS_CONFLICT}}
    area_rule = (
        "Events of records in your area, and of records that moved out of it (a move-out: "
        "`previous_commune`/`previous_village` only; `commune`, `village` and `payload` null)."
    )

    @extend_schema(parameters=[ChangesParams], responses=ChangePageSerializer)
    def get(self, request):
        access = access_for(request.user)
        params = ChangesParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        if p["after"]:
            require_same_rights(request.user, p.get("rights"))
        yours, here = reader_events(access)  # the feed they are served
        if access.everywhere:  # every event is read whole
            events = yours.annotate(moved_out=Value(False))
        else:
            events = yours.annotate(
                moved_out=Case(
                    When(here, then=Value(False)), default=Value(True), output_field=BooleanField()
                )
            )
        events = events.filter(seq__gt=p["after"])
        if p.get("types"):
            events = events.filter(entity__in=p["types"])
        if p.get("commune"):
            # By the commune the reader is shown: a move-out's new commune is not one of them.
            events = events.filter(
                (Q(commune=p["commune"]) & here) | Q(previous_commune=p["commune"])
            )
        page = list(events.order_by("seq")[: p["limit"] + 1])
        if not page and p["after"] and not yours.filter(seq=p["after"]).exists():
            # Every `next_after` this feed hands out is the position of an event it served the
            # reader. Asked of the reader's events only: the position of someone else's event
            # is refused as one past the end is (else probing would find the national head).
            raise serializers.ValidationError(
                {
                    "after": [
                        gettext(
                            "Not a position of your feed: pass 0, or a next_after it gave you. "
                            "A position read before your role or area changed is no longer "
                            "yours: read again from 0."
                        )
                    ]
                },
                code="past_the_end",
            )
        has_more = len(page) > p["limit"]
        page = page[: p["limit"]]
        rows = ChangeSerializer(page, many=True).data
        for event, row in zip(page, rows, strict=True):
            if event.moved_out:  # where it was (previous_*), not where it went
                row.update(commune=None, village=None, payload=None)
        read = [row for row in rows if row["payload"] is not None]
        merged = [row["payload"] for row in read if row["payload"].get("merged_into_id")]
        hidden = outside_area(access, {payload["merged_into_id"] for payload in merged})
        for payload in merged:
            if payload["merged_into_id"] in hidden:
                payload["merged_into_id"] = None
        if not access.can(Perm.VIEW_PERSONAL):
            for row in read:
                row["payload"] = mask(MODEL_OF[row["entity"]], row["payload"])
        else:
            audit.record_personal_read(
                request.user,
                "feed",
                request.path,
                sum(1 for row in read if personal_fields(MODEL_OF[row["entity"]])),
                request.META.get("QUERY_STRING", ""),
            )
        return Response(
            {
                "results": rows,
                "has_more": has_more,
                "next_after": page[-1].seq if page else p["after"],
                "rights": access_digest(request.user),
            }
        )
