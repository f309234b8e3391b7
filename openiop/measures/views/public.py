"""What a patient opens on their phone: a one-time link (no sign-in) or, with a
portal login, the daily check-in. Neither page names the patient: a link
forwarded by mistake reveals nothing, and an expired, used or unknown link
gets the same neutral page."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.core.decorators import login_only, public
from openiop.core.errors import ApplicationError
from openiop.core.forms import apply_errors
from openiop.core.middleware import client_ip
from openiop.core.ratelimit import hit, rate_for, too_many
from openiop.measures import services
from openiop.measures.forms import AnswersForm, CheckInForm
from openiop.measures.models import CheckInSource, LinkPurpose
from openiop.measures.scoring import AnswerError
from openiop.measures.services.common import PATIENT_VIA_LINK
from openiop.measures.views.common import apply_answer_errors


def _private(response):
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _unavailable(request):
    return _private(render(request, "measures/public/unavailable.html", status=404))


@public
@csrf_exempt  # the token in the address is the secret; no session, no cookie to ride
def link(request, token):
    """Guessing tokens is slowed down by counting the misses per address (a
    token is 256 random bits); a real patient's answer, above all "I do not
    feel safe", is never refused because others share their address."""
    try:
        link = services.link_open(token)
    except services.LinkUnavailable:
        rate = rate_for("patient-link")
        if rate is not None:
            allowed, retry_after = hit("patient-link", client_ip(request) or "unknown", rate)
            if not allowed:
                return too_many(request, retry_after)
        return _unavailable(request)
    if link.purpose == LinkPurpose.CHECKIN:
        return _checkin(request, token, link)
    form = AnswersForm(request.POST or None, definition=link.instrument.definition)
    if request.method == "POST" and form.is_valid():
        try:
            response = services.link_submit_answers(token=token, answers=form.answers())
        except services.LinkUnavailable:
            return _unavailable(request)
        except AnswerError as exc:
            apply_answer_errors(form, exc)
        else:
            return _thanks(request, response.safety_alerts.all())
    elif request.method == "GET":
        _audit_open(link)
    return _private(
        render(
            request,
            "measures/public/questionnaire.html",
            {"form": form, "instrument": link.instrument, "d": link.instrument.definition},
        )
    )


def _thanks(request, alerts, *, checkin: bool = False, form=None):
    """What the patient is told is what happened: which alert was raised and how
    many people who can answer it were alerted (never a name); an
    administrator told to find someone is not one of them."""
    from openiop.measures.models import AlertTier, RecipientReason

    safety = [a for a in alerts if a.tier == AlertTier.SAFETY]
    clinical = set(RecipientReason.clinical())
    people = {
        r.user_id: r.user
        for a in safety
        for r in a.routing.select_related("user")
        if r.reason in clinical
    }
    emailed = sum(1 for u in people.values() if u.email and u.is_active)
    return _private(
        render(
            request,
            "measures/public/thanks.html",
            {
                "checkin": checkin,
                "safety": bool(safety),
                "kinds": {a.kind for a in safety},
                "paged": len(people),
                "emailed": emailed,
                "team": any(a.episode_id for a in safety),
                # "not safe" went through although the rest had a mistake
                "left_out": list(form.errors) if form is not None and form.errors else [],
            },
        )
    )


def _checkin(request, token, link):
    form = CheckInForm(request.POST or None)
    if request.method == "POST" and (form.is_valid() or form.says_not_safe()):
        try:
            checkin = services.link_submit_checkin(token=token, **form.usable_data())
        except services.LinkUnavailable:
            return _unavailable(request)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return _thanks(request, checkin.answered_alerts, checkin=True, form=form)
    elif request.method == "GET":
        _audit_open(link)
    return _private(render(request, "measures/public/checkin.html", {"form": form}))


def _audit_open(link) -> None:
    audit_record(
        actor=None,
        action=Action.READ,
        event="measure.link.open",
        obj=link,
        patient=link.patient,
        actor_name=PATIENT_VIA_LINK,
    )


@login_only
def my_checkin(request):
    """A patient with a portal login checks in for today."""
    # a staff account has no patient record (RelatedObjectDoesNotExist is an AttributeError)
    patient = getattr(request.user, "patient_record", None)
    if patient is None:
        raise Http404("This page is for patients.")
    form = CheckInForm(request.POST or None)
    if request.method == "POST" and (form.is_valid() or form.says_not_safe()):
        try:
            checkin = services.checkin_record(
                actor=request.user,
                patient=patient,
                source=CheckInSource.PORTAL,
                **form.usable_data(),
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return _thanks(request, checkin.answered_alerts, checkin=True, form=form)
    return render(request, "measures/public/checkin.html", {"form": form, "signed_in": True})
