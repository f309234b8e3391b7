"""`/api/v1/directory/...`: the public program finder, without login,
rate-limited per client address."""

from uuid import UUID

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Query, Router
from ninja.responses import Status

from openiop.core.api import PUBLIC, ErrorOut, error_body, permission
from openiop.core.errors import NotFound
from openiop.core.ratelimit import rate_limited
from openiop.core.replica import reads_from_replica
from openiop.directory import features as FT
from openiop.directory import matching, selectors, services
from openiop.directory.models import Facility, Shortlist
from openiop.directory.schemas import (
    CompareOut,
    FacilityDetail,
    FacilitySearch,
    MatchIn,
    MatchOut,
    SearchOut,
    ShortlistOut,
    TestimonialAccepted,
    TestimonialIn,
    VocabularyOut,
)
from openiop.directory.search import make_query, search

router = Router(tags=["directory"], auth=None)
ERRORS = {400: ErrorOut, 404: ErrorOut, 410: ErrorOut, 422: ErrorOut, 429: ErrorOut}
API = "directory-api"
SUBMIT = "directory-submit"


def _page_url(facility) -> str:
    return reverse("directory:facility", args=[facility.uuid])


def _slugs(bits: int, group: str) -> list[str]:
    return [f.slug for f in FT.BY_GROUP[group] if bits & f.mask]


@router.get("/facilities", response={200: SearchOut, **ERRORS}, auth=None)
@permission(PUBLIC)
@rate_limited(API)
@reads_from_replica
def search_facilities(request, params: Query[FacilitySearch]):
    """Facilities and OpenIOP programs within `radius_miles` of `near`, filtered,
    sorted by distance or by fit, each with the reasons it matches. Values of
    one repeatable filter combine as noted ("any of" / "all of"); different
    filters all apply."""
    query = make_query(
        near=params.near,
        radius_miles=params.radius_miles,
        filters=params.filters(),
        languages=params.language,
        sort=params.sort,
        page=params.page,
        page_size=params.page_size,
    )
    services.programs_sync_if_changed()
    result = search(query)
    # Built and sent as is: the schema above documents it (and the tests hold
    # it to it); validating 20 results again cost more than the search.
    page_url = reverse("directory:facility", args=[UUID(int=0)]).replace(str(UUID(int=0)), "{}")
    body = {
        "count": result.count,
        "page": query.page,
        "pages": result.pages,
        "page_size": query.page_size,
        "near": {
            "label": query.place.label,
            "zip": query.place.zip_code,
            "latitude": query.place.latitude,
            "longitude": query.place.longitude,
        },
        "radius_miles": query.radius_miles,
        "sort": query.sort,
        "results": [
            {
                "uuid": f.uuid,
                "name": f.name,
                "name2": f.name2,
                "street": f.street1,
                "city": f.city,
                "state": f.state,
                "zip": f.zip_code,
                "phone": f.phone,
                "website": f.website,
                "distance_miles": f.distance_miles,
                "location_approximate": f.location_approximate,
                "reasons": f.reasons,
                "fit": f.fit,
                "level_of_care": _slugs(f.features, "level_of_care"),
                "payment": _slugs(f.features, "payment"),
                "openiop_program": f.is_program,
                "url": page_url.format(f.uuid),
            }
            for f in result.facilities
        ],
    }
    return JsonResponse(body, encoder=DjangoJSONEncoder)


def _detail(page) -> dict:
    f = page.facility
    profile = page.profile
    bits = f.features
    cost = page.cost
    return {
        "uuid": f.uuid,
        "name": f.name,
        "name2": f.name2,
        "source": f.source,
        "address": f.address_lines,
        "city": f.city,
        "state": f.state,
        "zip": f.zip_code,
        "latitude": f.latitude,
        "longitude": f.longitude,
        "location_approximate": f.location_approximate,
        "phone": f.phone,
        "intake_phone": f.intake_phone,
        "hotline": f.hotline,
        "website": f.website,
        "summary": profile.summary if profile else "",
        "features": {g: _slugs(bits, g) for g in FT.BY_GROUP if _slugs(bits, g)},
        "languages": ["english", *FT.decode_languages(f.languages)],
        "services": [{"category": c, "values": v} for c, v in page.services],
        "tracks": [
            {
                "name": t.name,
                "weekdays": t.weekdays,
                "days": t.days_label,
                "start_time": t.start_time,
                "end_time": t.end_time,
                "weekly_hours": t.weekly_hours,
                "schedule": t.schedule,
            }
            for t in page.tracks
        ],
        "team": {
            "licences": [
                {"licence": code, "label": label, "people": n}
                for code, label, n in page.team.counts
            ],
            "named": [{"name": n, "licences": c} for n, c in page.team.named],
        }
        if page.team is not None
        else None,
        "wait_for_admission": {"days": profile.wait_days, "as_of": profile.wait_updated_on}
        if profile is not None and profile.wait_days is not None and profile.wait_updated_on
        else None,
        "outcomes": [o.__dict__ for o in page.outcomes],
        "testimonials": [
            {
                "author": t.author_name,
                "relationship": t.get_relationship_display(),
                "body": t.body,
                "published": timezone.localdate(t.moderated_at or t.created_at),
            }
            for t in page.testimonials
        ],
        "cost": {
            "self_pay_weekly_rate": cost.weekly_rate,
            "typical_weeks_min": cost.weeks_min,
            "typical_weeks_max": cost.weeks_max,
            "estimate_low": cost.low,
            "estimate_high": cost.high,
            "sliding_scale": cost.sliding_scale,
            "payment": _slugs(bits, "payment"),
            "insurance_plans": cost.plans,
            "ask_your_plan": cost.ask_plan,
        },
        "questions": [q.__dict__ for q in page.questions],
        "url": _page_url(f),
    }


@router.get("/facilities/{facility_uuid}", response={200: FacilityDetail, **ERRORS}, auth=None)
@permission(PUBLIC)
@rate_limited(API)
@reads_from_replica
def get_facility(request, facility_uuid: UUID):
    """Everything known about one facility or program, with the questions to ask."""
    return _detail(selectors.program_page(selectors.active_facility(facility_uuid)))


@router.get("/compare", response={200: CompareOut, **ERRORS}, auth=None)
@permission(PUBLIC)
@rate_limited(API)
def compare_facilities(request, ids: Query[list[UUID]]):
    """Up to three facilities side by side (`?ids=...&ids=...`)."""
    return {"results": [_detail(p) for p in selectors.compare(ids)]}


@router.get("/filters", response={200: VocabularyOut, **ERRORS}, auth=None)
@permission(PUBLIC)
@rate_limited(API)
def filters(request):
    """The values each search filter accepts."""
    flags = {"family": "family", "telehealth": "telehealth", "outcomes": "outcomes"}
    groups = []
    for name, group in FT.GROUPS.items():
        values = [{"value": f.slug, "label": f.label} for f in FT.BY_GROUP[name]]
        if name in flags:
            values = [{"value": "true", "label": FT.BY_GROUP[name][0].label}]
        groups.append(
            {"parameter": name, "label": group.label, "combine": group.combine, "values": values}
        )
    languages = [{"value": k, "label": v} for k, v in FT.LANGUAGES.items()]
    return {"filters": groups, "languages": languages}


def _match_results(matches) -> list[dict]:
    return [
        {
            "uuid": m.facility.uuid,
            "name": m.facility.name,
            "name2": m.facility.name2,
            "city": m.facility.city,
            "state": m.facility.state,
            "zip": m.facility.zip_code,
            "distance_miles": round(m.distance, 1),
            "score": m.score,
            "reasons": m.reasons,
            "cautions": m.cautions,
            "url": _page_url(m.facility),
        }
        for m in matches
    ]


@router.post("/match", response={201: MatchOut, **ERRORS}, auth=None)
@permission(PUBLIC)
@rate_limited(SUBMIT)
def guided_match(request, payload: MatchIn):
    """The guided match: answers in, a ranked list with reasons and a shareable
    shortlist link out (it stores the answers only, and expires)."""
    answers, place = matching.clean_answers(payload.dict())
    ranked = matching.run_match(answers, place)
    shortlist = services.shortlist_create(
        answers=answers.as_dict(), facility_uuids=[m.facility.uuid for m in ranked]
    )
    url = request.build_absolute_uri(reverse("directory:shortlist", args=[shortlist.token]))
    return Status(
        201,
        {
            "shortlist": {"token": shortlist.token, "url": url, "expires_at": shortlist.expires_at},
            "count": len(ranked),
            "results": _match_results(ranked),
        },
    )


def _live_shortlist(request, token: str) -> Shortlist | HttpResponse:
    saved = Shortlist.objects.filter(token=token).first()
    if saved is None:
        raise NotFound("No such shortlist.")
    if saved.expires_at <= timezone.now():
        saved.delete()
        from django.http import JsonResponse

        return JsonResponse(
            error_body("gone", "This shortlist has expired and its answers are deleted."),
            status=410,
        )
    return saved


@router.get("/shortlists/{token}", response={200: ShortlistOut, **ERRORS}, auth=None)
@permission(PUBLIC)
@rate_limited(API)
def get_shortlist(request, token: str):
    saved = _live_shortlist(request, token)
    if isinstance(saved, HttpResponse):
        return saved
    answers, place = matching.clean_answers(saved.answers)
    listed = {
        str(f.uuid): f
        for f in Facility.objects.filter(uuid__in=saved.facility_uuids, is_active=True)
    }
    kept = [listed[u] for u in saved.facility_uuids if u in listed]
    return {
        "answers": saved.answers,
        "expires_at": saved.expires_at,
        "no_longer_listed": len(saved.facility_uuids) - len(kept),
        "results": _match_results(matching.judge_listed(answers, place, kept)),
    }


@router.delete("/shortlists/{token}", response={204: None, **ERRORS}, auth=None)
@permission(PUBLIC)
@rate_limited(API)
def delete_shortlist(request, token: str):
    """Delete a shortlist and its answers now, before it expires."""
    saved = _live_shortlist(request, token)
    if isinstance(saved, HttpResponse):
        return saved
    services.shortlist_delete(shortlist=saved)
    return Status(204, None)


@router.post(
    "/facilities/{facility_uuid}/testimonials",
    response={202: TestimonialAccepted, **ERRORS},
    auth=None,
)
@permission(PUBLIC)
@rate_limited(SUBMIT)
def submit_testimonial(request, facility_uuid: UUID, payload: TestimonialIn):
    """Send a testimonial: it waits for the program's moderation and is published
    only with consent, under a first name or initials."""
    facility = selectors.active_facility(facility_uuid)
    services.testimonial_submit(
        facility=facility,
        author_name=payload.author_name,
        relationship=payload.relationship,
        body=payload.body,
        consent=payload.consent,
    )
    return Status(
        202,
        {
            "status": "pending",
            "message": "Thank you. The program reads it before it is published.",
        },
    )
