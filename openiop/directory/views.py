"""Public pages of the program finder: search, guided match, a program's page,
comparison, testimonials. The staff pages are in `staff_views.py`."""

import uuid
from dataclasses import replace

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from openiop.core.decorators import public
from openiop.core.errors import ApplicationError, NotFound
from openiop.core.forms import apply_errors
from openiop.core.ratelimit import rate_limited
from openiop.core.replica import reads_from_replica
from openiop.directory import features as FT
from openiop.directory import matching, selectors, services
from openiop.directory.forms import (
    MatchForm,
    SearchForm,
    TestimonialForm,
)
from openiop.directory.geo import distance_miles, place_for
from openiop.directory.models import Facility, Shortlist
from openiop.directory.search import make_query, search

FILTER_FIELDS = (
    "level_of_care",
    "focus",
    "schedule",
    "payment",
    "age",
    "sex",
    "special",
    "accreditation",
    "services",
)


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", 1)))
    except (TypeError, ValueError):
        return 1


def _with_page(request, number: int) -> str:
    q = request.GET.copy()
    q["page"] = number
    return "?" + q.urlencode()


def _place_or_none(text):
    if not text:
        return None
    try:
        return place_for(text)
    except ApplicationError:
        return None


@public
@rate_limited("directory-page")
@reads_from_replica
def finder(request):
    form = SearchForm(request.GET if "near" in request.GET else None)
    result = None
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        try:
            query = make_query(
                near=d["near"],
                radius_miles=d["radius_miles"] or None,
                filters=form.filters(),
                languages=[d["language"]] if d["language"] else [],
                sort=d["sort"] or "distance",
                page=_page_number(request),
            )
            services.programs_sync_if_changed()
            result = search(query)
            if result.count and not result.facilities:  # past the last page: show it
                result = search(replace(query, page=result.pages))
        except ApplicationError as exc:
            apply_errors(form, exc)
    context = {
        "form": form,
        "result": result,
        "compare_max": selectors.MAX_COMPARE,
        "active": "search",
        "filter_fields": [form[name] for name in FILTER_FIELDS],
        "flag_fields": [form[name] for name in ("family", "telehealth", "outcomes")],
    }
    if result is not None:
        context["schedule_asked"] = bool(result.query.filter_map.get("schedule"))
        context["active_filters"] = [
            FT.BY_KEY[f"{group}:{slug}"].label
            for group, slugs in result.query.filters
            for slug in slugs
        ] + [FT.language_label(x) for x in result.query.languages]
        if result.query.page > 1:
            context["prev_url"] = _with_page(request, result.query.page - 1)
        if result.query.page < result.pages:
            context["next_url"] = _with_page(request, result.query.page + 1)
        context["first"] = (result.query.page - 1) * result.query.page_size + 1
        context["last"] = context["first"] + len(result.facilities) - 1
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "directory/finder.html", context, status=status)


@public
@rate_limited("directory-page")
@reads_from_replica
def facility(request, facility_uuid):
    try:
        found = selectors.active_facility(facility_uuid)
    except NotFound:
        raise Http404("No such program is listed.") from None
    place = _place_or_none(request.GET.get("near"))
    distance = (
        distance_miles(place.latitude, place.longitude, found.latitude, found.longitude)
        if place
        else None
    )
    page = selectors.program_page(found, distance=distance)
    label = found.how_far(distance, place.label) if place else ""
    return render(
        request,
        "directory/facility.html",
        {"page": page, "f": found, "place": place, "distance": distance, "distance_label": label},
    )


@public
@rate_limited("directory-page")
@reads_from_replica
def compare(request):
    raw = request.GET.getlist("f")
    place = _place_or_none(request.GET.get("near"))
    error = None
    pages = []
    try:
        ids = []
        for value in raw:
            try:
                ids.append(uuid.UUID(value))
            except ValueError:
                raise ApplicationError.for_field(
                    "f", "That comparison link is damaged; choose the programs again."
                ) from None
        pages = selectors.compare(ids)
    except ApplicationError as exc:
        error = exc.message
    for p in pages:
        p.distance = (
            distance_miles(
                place.latitude, place.longitude, p.facility.latitude, p.facility.longitude
            )
            if place
            else None
        )
    rows = _compare_rows(pages) if pages else []
    return render(
        request,
        "directory/compare.html",
        {"pages": pages, "rows": rows, "error": error, "place": place},
        status=400 if error and raw else 200,
    )


def _compare_rows(pages) -> list[tuple[str, list[list[str]]]]:
    """One row per question, one cell (a list of lines) per program."""
    by_label = {}
    for p in pages:
        for label, values in p.facts:
            by_label.setdefault(label, []).append(values or ["Not listed"])
    rows = []
    if any(getattr(p, "distance", None) is not None for p in pages):
        rows.append(("Distance", [[p.facility.how_far(p.distance)] for p in pages]))
    rows.append(("Address", [p.facility.address_lines for p in pages]))
    rows += list(by_label.items())
    rows.append(
        (
            "Tracks",
            [
                [f"{t.name}: {t.days_label} {t.hours_label}" for t in p.tracks]
                or ["Not listed: ask"]
                for p in pages
            ],
        )
    )
    rows.append(
        (
            "Cost",
            [
                [
                    f"${p.cost.weekly_rate:,.0f}/week self-pay; "
                    f"${p.cost.low:,.0f}-${p.cost.high:,.0f} for "
                    f"{p.cost.weeks_min}-{p.cost.weeks_max} weeks"
                ]
                if p.cost.weekly_rate is not None
                else ["Not listed: ask"]
                for p in pages
            ],
        )
    )
    rows.append(
        (
            "Staff licences",
            [
                [f"{n} {code}" for code, _label, n in p.team.counts]
                if p.team and p.team.counts
                else ["Not listed: ask"]
                for p in pages
            ],
        )
    )
    rows.append(
        ("Wait for admission", [[p.wait] if p.wait else ["Not listed: ask"] for p in pages])
    )
    rows.append(
        (
            "Measured outcomes",
            [[f"{o.label}: {o.display}" for o in p.outcomes] or ["None published"] for p in pages],
        )
    )
    rows.append(
        (
            "Testimonials",
            [
                [f"{len(p.testimonials)} published"]
                if p.testimonials
                else ["None yet" if p.facility.program_id else "Not collected for this listing"]
                for p in pages
            ],
        )
    )
    return rows


@public
@rate_limited("directory-submit", methods=("POST",))
def match(request):
    form = MatchForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            answers, place = matching.clean_answers(form.cleaned_data)
            ranked = matching.run_match(answers, place)
            shortlist = services.shortlist_create(
                answers=answers.as_dict(), facility_uuids=[m.facility.uuid for m in ranked]
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("directory:shortlist", token=shortlist.token)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "directory/match.html",
        {"form": form, "active": "match", "days": services.shortlist_days()},
        status=status,
    )


def _shortlist(token) -> Shortlist:
    found = Shortlist.objects.filter(token=token).first()
    if found is None:
        raise Http404("No such shortlist.")
    return found


@public
@rate_limited("directory-page")
def shortlist(request, token):
    saved = _shortlist(token)
    if saved.expires_at <= timezone.now():
        saved.delete()
        return render(
            request,
            "directory/shortlist_gone.html",
            {"days": services.shortlist_days()},
            status=410,
        )
    try:
        answers, place = matching.clean_answers(saved.answers)
    except ApplicationError:  # e.g. a ZIP code retired since: the list cannot be redone
        saved.delete()
        return render(
            request,
            "directory/shortlist_gone.html",
            {"days": services.shortlist_days()},
            status=410,
        )
    listed = {
        str(f.uuid): f
        for f in Facility.objects.filter(uuid__in=saved.facility_uuids, is_active=True).defer(
            "services"
        )
    }
    kept = [listed[u] for u in saved.facility_uuids if u in listed]
    matches = matching.judge_listed(answers, place, kept)
    share_url = request.build_absolute_uri(reverse("directory:shortlist", args=[token]))
    answer_rows = [
        ("Near", f"{place.label} (within {answers.max_miles} miles)"),
        (
            "When",
            ", ".join(matching.TIMES[t] for t in answers.times) or "Any time",
        ),
        ("For", matching.NEEDS[answers.need]),
        ("Age", matching.AGES[answers.age]),
        ("Paying with", matching.INSURANCE[answers.insurance]),
        ("Family involved", matching.FAMILY[answers.family]),
        (
            "Language",
            "English" if answers.language == "english" else FT.language_label(answers.language),
        ),
    ]
    return render(
        request,
        "directory/shortlist.html",
        {
            "shortlist": saved,
            "matches": matches,
            "gone": len(saved.facility_uuids) - len(kept),
            "share_url": share_url,
            "answers": answer_rows,
            "near": place.zip_code or answers.near,
            "compare_max": selectors.MAX_COMPARE,
            "active": "match",
        },
    )


@public
@require_POST
def shortlist_delete(request, token):
    services.shortlist_delete(shortlist=_shortlist(token))
    messages.success(request, "Your shortlist and your answers are deleted.")
    return redirect("directory:match")


@public
@rate_limited("directory-submit", methods=("POST",))
def testimonial_new(request, facility_uuid):
    try:
        found = selectors.active_facility(facility_uuid)
    except NotFound:
        raise Http404("No such program is listed.") from None
    form = TestimonialForm(request.POST if request.method == "POST" else None)
    if found.program_id is None:
        return render(
            request, "directory/testimonial_form.html", {"f": found, "form": None}, status=200
        )
    if request.method == "POST" and form.is_valid():
        try:
            services.testimonial_submit(facility=found, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                "Thank you. The program reads every testimonial before it is published; "
                "it appears only if they approve it.",
            )
            return redirect("directory:facility", facility_uuid=found.uuid)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "directory/testimonial_form.html", {"f": found, "form": form}, status=status
    )


@public
@rate_limited("directory-page")
@reads_from_replica
def about(request):
    return render(
        request,
        "directory/about.html",
        {
            "last_import": selectors.latest_import(),
            "facilities": Facility.objects.filter(is_active=True, program__isnull=True).count(),
            "programs": Facility.objects.filter(is_active=True, program__isnull=False).count(),
            "quality": [(FT.BY_KEY[k].label, w) for k, w in FT.QUALITY_SIGNALS.items()],
            "active": "about",
        },
    )
