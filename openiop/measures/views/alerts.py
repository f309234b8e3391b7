"""Safety alerts and the lists of measures due."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from openiop.access.scope import can, covers_patient
from openiop.audit.services import audit_read
from openiop.care.models import Episode
from openiop.core.decorators import requires
from openiop.core.errors import ApplicationError, Conflict
from openiop.core.forms import apply_errors
from openiop.core.pagination import paginate
from openiop.measures import selectors, services
from openiop.measures.forms import AcknowledgeForm
from openiop.measures.models import AlertStatus
from openiop.measures.schedule import measures_due
from openiop.measures.views.common import paginate_list
from openiop.messaging.services import messages_about
from openiop.organizations.models import Program


@requires("alert.view")
def alert_list(request):
    status = request.GET.get("status", AlertStatus.OPEN)
    if status not in (*AlertStatus.values, "all"):
        status = AlertStatus.OPEN
    mine = request.GET.get("mine") == "1"
    page = paginate(request, selectors.alert_list(actor=request.user, status=status, mine=mine))
    audit_read(
        actor=request.user,
        event="safety_alert.list",
        patient_ids=[a.patient_id for a in page.object_list],
    )
    return render(
        request,
        "measures/alerts.html",
        {"page": page, "status": status, "mine": mine, "statuses": AlertStatus.choices},
    )


@requires("alert.view")
def alert_detail(request, alert_uuid):
    alert = selectors.alert_detail(actor=request.user, alert_uuid=alert_uuid)
    may_ack = alert.is_open and can(request.user, "alert.acknowledge")
    form = AcknowledgeForm(request.POST or None)
    if request.method == "POST":
        if not may_ack:
            messages.error(request, _not_acknowledged(request, alert))
            return redirect("measures:alert", alert_uuid=alert.uuid)
        if form.is_valid():
            try:
                services.alert_acknowledge(
                    actor=request.user, alert=alert, note=form.cleaned_data["note"]
                )
            except Conflict:
                alert.refresh_from_db()
                messages.error(request, _not_acknowledged(request, alert))
                return redirect("measures:alert", alert_uuid=alert.uuid)
            except ApplicationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "Alert acknowledged; it has left the dashboards.")
                if request.POST.get("then") == "safety_plan" and alert.episode_id:
                    return redirect("plans:safety_plan", episode_uuid=alert.episode.uuid)
                target = request.POST.get("next", "")
                if not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
                    target = "measures:alerts"
                return redirect(target)
    audit_read(actor=request.user, event="safety_alert.read", obj=alert, patient=alert.patient)
    return render(
        request,
        "measures/alert_detail.html",
        {
            "alert": alert,
            "patient": alert.patient,
            "form": form,
            "may_ack": may_ack,
            "messages_sent": messages_about("safety_alert", alert.uuid),
            "on_call_set": bool(
                alert.organization.on_call_user_id or alert.organization.on_call_email
            ),
            # a queue alert is open to staff who cannot open the patient's chart
            "opens_chart": covers_patient(request.user, "measure.view", alert.patient),
        },
    )


def _not_acknowledged(request, alert) -> str:
    """Why a note was not saved (someone else acknowledged it meanwhile, in
    another tab or on another screen), with the note given back to keep."""
    if alert.is_open:
        why = "You may not acknowledge this alert."
    else:
        when = timezone.localtime(alert.acknowledged_at)
        who = alert.acknowledged_by.get_display_name() if alert.acknowledged_by else "someone"
        why = f"{who} acknowledged this alert at {when:%Y-%m-%d %H:%M %Z} before you did."
    note = request.POST.get("note", "").strip()
    if note:
        why += f' Your note was not saved; here it is to keep: "{note[:2000]}"'
    return why


@requires("measure.view")
def due(request):
    programs = list(Program.objects.visible_to(request.user, "view").order_by("name"))
    chosen = next((p for p in programs if str(p.uuid) == request.GET.get("program")), None)
    mine = request.GET.get("mine") == "1"
    episodes = Episode.objects.visible_to(request.user, "view")
    if chosen:
        episodes = episodes.filter(program=chosen)
    if mine:
        episodes = episodes.filter(primary_clinician=request.user)
    items = measures_due(actor=request.user, episodes=episodes)
    page = paginate_list(request, items)
    audit_read(
        actor=request.user,
        event="measure.due_list",
        patient_ids=[d.episode.patient_id for d in page.object_list],
    )
    return render(
        request,
        "measures/due.html",
        {
            "page": page,
            "programs": programs,
            "chosen": chosen,
            "mine": mine,
            "overdue": sum(1 for d in items if d.status == "overdue"),
            "total": len(items),
            "can_schedule": can(request.user, "measure_schedule.manage"),
        },
    )
