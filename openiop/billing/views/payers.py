"""Billing pages: payers, their rule sets, the organization's billing profile.
`payer.view` reads; `payer.manage` (organization-wide) changes."""

from django.contrib import messages
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path

from openiop.access.querysets import organizations_reached
from openiop.access.scope import can, grant
from openiop.audit.models import Action
from openiop.audit.services import audit_denied
from openiop.billing import rule_templates
from openiop.billing.models import BillingProfile, Payer, ProviderKind
from openiop.billing.payer_forms import BillingProfileForm, PayerForm, RuleSetForm, TemplateForm
from openiop.billing.services import payers as services
from openiop.core.decorators import forbidden, requires
from openiop.core.errors import ApplicationError
from openiop.core.forms import apply_errors
from openiop.core.pagination import paginate
from openiop.organizations.models import Organization
from openiop.scheduling.models import SessionType

NOT_MANAGER = "Only organization-wide billing staff and administrators change payers."


def _refused(request, message=NOT_MANAGER):
    audit_denied(actor=request.user, event="payer.manage", action=Action.UPDATE)
    return forbidden(request, message)


def _organization(request, permission: str) -> Organization | None:
    """The organization a page works on: ?organization=<uuid> among those where
    the permission holds organization-wide (manage) or at all (view)."""
    g = grant(request.user, permission)
    ids = g.organization_ids if permission == "payer.manage" else organizations_reached(g)
    organizations = list(Organization.objects.filter(pk__in=ids).order_by("name"))
    wanted = request.GET.get("organization", "")
    chosen = next((o for o in organizations if str(o.uuid) == wanted), None)
    if wanted and chosen is None:
        raise Http404("No such organization.")
    return chosen or (organizations[0] if organizations else None)


def _payer(request, payer_uuid) -> Payer:
    payer = (
        Payer.objects.visible_to(request.user, "view")
        .select_related("organization", "recipient")
        .filter(uuid=payer_uuid)
        .first()
    )
    if payer is None:
        raise Http404("No such payer.")
    return payer


def _manages(request, payer_or_org_id) -> bool:
    return can(request.user, "payer.manage", organization_id=payer_or_org_id)


@requires("payer.view")
def payer_list(request):
    qs = (
        Payer.objects.visible_to(request.user, "view")
        .annotate(rule_count=Count("rules"))
        .order_by("name", "id")
    )
    page = paginate(request, qs)
    return render(
        request,
        "billing/payers_list.html",
        {"page": page, "can_manage": bool(grant(request.user, "payer.manage").organization_ids)},
    )


@requires("payer.view")
def payer_detail(request, payer_uuid):
    payer = _payer(request, payer_uuid)
    rules = payer.rules.prefetch_related("services__session_type").order_by(
        "level_of_care", "focus"
    )
    return render(
        request,
        "billing/payers_detail.html",
        {"payer": payer, "rules": rules, "can_manage": _manages(request, payer.organization_id)},
    )


@requires("payer.manage")
def payer_new(request):
    organization = _organization(request, "payer.manage")
    if organization is None:
        return _refused(request)
    form = PayerForm(request.POST or None, organization_id=organization.pk)
    if request.method == "POST" and form.is_valid():
        try:
            payer = services.payer_create(
                actor=request.user, organization=organization, **form.cleaned_data
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{payer.name} added. Now set its rules.")
            return redirect("billing:payer_rules", payer_uuid=payer.uuid)
    return render(
        request,
        "billing/payers_form.html",
        {"form": form, "title": "New payer", "back": "/billing/payers/"},
        status=400 if form.errors else 200,
    )


@requires("payer.manage")
def payer_edit(request, payer_uuid):
    payer = _payer(request, payer_uuid)
    if not _manages(request, payer.organization_id):
        return _refused(request)
    initial = {f: getattr(payer, f) for f in ("name", "payer_id", "kind", "is_active", "recipient")}
    form = PayerForm(
        request.POST or None,
        initial=initial,
        organization_id=payer.organization_id,
        current_recipient_id=payer.recipient_id,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.payer_update(actor=request.user, payer=payer, **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Payer saved.")
            return redirect("billing:payer", payer_uuid=payer.uuid)
    return render(
        request,
        "billing/payers_form.html",
        {"form": form, "title": f"Payer {payer.name}", "back": f"/billing/payers/{payer.uuid}/"},
        status=400 if form.errors else 200,
    )


def _rows_to_show(payer: Payer, template: str) -> list[dict]:
    combos = services.organization_combos(payer.organization_id)
    if template:
        return rule_templates.template_rules(template, combos)
    rows = services.rules_as_data(payer)
    have = {(r["level_of_care"], r["focus"]) for r in rows}
    covered = have | {(level, f) for level, f in combos if (level, "") in have}
    for level, focus in combos:
        if (level, focus) not in covered:  # a gap shows as an empty rule to fill
            rows.append(
                {**rule_templates.RULE_DEFAULTS, "level_of_care": level, "focus": focus,
                 "services": []}
            )  # fmt: skip
    return rows


@requires("payer.manage")
def payer_rules(request, payer_uuid):
    payer = _payer(request, payer_uuid)
    if not _manages(request, payer.organization_id):
        return _refused(request)
    chooser = TemplateForm(request.GET or None)
    template = chooser.cleaned_data["template"] if chooser.is_valid() else ""
    types = SessionType.objects.filter(organization_id=payer.organization_id).order_by(
        "modality", "name"
    )
    form = RuleSetForm(
        request.POST if request.method == "POST" else None,
        rows=_rows_to_show(payer, template),
        session_types=types,
    )
    if request.method == "POST" and form.is_valid():
        rules, origin = form.rule_set()
        try:
            services.rules_set(actor=request.user, payer=payer, rules=rules)
        except ApplicationError as exc:
            form.apply_service_error(exc, origin)
        else:
            messages.success(request, f"Rules of {payer.name} saved.")
            return redirect("billing:payer", payer_uuid=payer.uuid)
    return render(
        request,
        "billing/payers_rules.html",
        {
            "payer": payer,
            "form": form,
            "chooser": chooser if request.GET else TemplateForm(),
            "template": rule_templates.TEMPLATES.get(template, {}).get("title", ""),
        },
        status=400 if form.errors else 200,
    )


@requires("payer.view")
def billing_profile(request):
    organization = _organization(request, "payer.view")
    if organization is None:  # pragma: no cover - payer.view always reaches one
        return forbidden(request)
    profile = BillingProfile.objects.filter(organization=organization).first()
    kind = profile.provider_kind if profile else ProviderKind.FREESTANDING
    shown = profile or BillingProfile(organization=organization, provider_kind=kind)
    may_change = _manages(request, organization.pk)
    form = BillingProfileForm(request.POST or None, initial={"provider_kind": kind})
    if request.method == "POST":
        if not may_change:
            return _refused(request)
        if form.is_valid():
            try:
                services.billing_profile_set(
                    actor=request.user,
                    organization=organization,
                    provider_kind=form.cleaned_data["provider_kind"],
                )
            except ApplicationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "Billing profile saved.")
                return redirect(request.get_full_path())
    return render(
        request,
        "billing/payers_profile.html",
        {"organization": organization, "profile": shown, "form": form, "may_change": may_change},
        status=400 if form.errors else 200,
    )


urlpatterns = [
    path("payers/", payer_list, name="payers"),
    path("payers/new/", payer_new, name="payer_new"),
    path("payers/<uuid:payer_uuid>/", payer_detail, name="payer"),
    path("payers/<uuid:payer_uuid>/edit/", payer_edit, name="payer_edit"),
    path("payers/<uuid:payer_uuid>/rules/", payer_rules, name="payer_rules"),
    path("profile/", billing_profile, name="profile"),
]
