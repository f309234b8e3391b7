"""The plan library: built-in templates copied to each organization on
demand, and templates an organization adds from its own plans."""

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from openiop.access.services import require
from openiop.audit.models import Action
from openiop.audit.services import audit_record
from openiop.care.plans.library_loader import built_in, validate_content
from openiop.care.plans.models import PlanTemplate
from openiop.core.errors import ApplicationError


def templates_ensure(organization) -> int:
    """Give the organization the built-in templates it lacks; return how many were added."""
    have = set(
        PlanTemplate.objects.filter(organization=organization, built_in=True).values_list(
            "key", flat=True
        )
    )
    missing = [doc for doc in built_in() if doc["key"] not in have]
    if not missing:
        return 0
    rows = [
        PlanTemplate(
            organization=organization,
            key=doc["key"],
            name=doc["name"],
            presentation=doc["presentation"],
            description=doc.get("description", ""),
            content={"problems": doc["problems"]},
            built_in=True,
        )
        for doc in missing
    ]
    PlanTemplate.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def content_of_version(version) -> dict:
    """A plan version as template content (target dates become days from today)."""
    from django.utils import timezone

    start = version.effective_on or timezone.localdate()
    problems = []
    for p in version.problems.prefetch_related("diagnoses", "goals__objectives__interventions"):
        problems.append(
            {
                "statement": p.statement,
                "asam_dimensions": p.asam_dimensions,
                "icd_prefixes": sorted({d.code[:3] for d in p.diagnoses.all()}),
                "goals": [
                    {
                        "statement": g.statement,
                        "objectives": [
                            {
                                "statement": o.statement,
                                "target_days": min(365, max(1, (o.target_on - start).days)),
                                "interventions": [
                                    {
                                        "modality": i.modality,
                                        "topic": i.topic,
                                        "description": i.description,
                                        "sessions": i.sessions,
                                        "period": i.period,
                                        "minutes": i.minutes,
                                    }
                                    for i in o.interventions.all()
                                ],
                            }
                            for o in g.objectives.all()
                        ],
                    }
                    for g in p.goals.all()
                ],
            }
        )
    return {"problems": problems}


def template_create(
    *, actor, organization, name: str, presentation: str, description: str = "", content: dict
) -> PlanTemplate:
    require(actor, "plantemplate.manage", organization_id=organization.pk, action=Action.CREATE)
    name = (name or "").strip()[:150]
    if not name:
        raise ApplicationError.for_field("name", "Name the template.")
    presentation = (presentation or "").strip()[:200]
    if not presentation:
        raise ApplicationError.for_field("presentation", "Say which presentation it is for.")
    validate_content(content)
    key = slugify(name)[:60] or "template"
    if PlanTemplate.objects.filter(organization=organization, key=key).exists():
        raise ApplicationError.for_field("name", "A template with this name already exists.")
    try:
        with transaction.atomic():
            template = PlanTemplate.objects.create(
                organization=organization,
                key=key,
                name=name,
                presentation=presentation,
                description=(description or "").strip()[:2000],
                content=content,
                created_by=actor,
            )
            audit_record(
                actor=actor, action=Action.CREATE, event="plantemplate.create", obj=template
            )
    except IntegrityError:
        raise ApplicationError.for_field(
            "name", "A template with this name already exists."
        ) from None
    return template


def template_set_active(*, actor, template: PlanTemplate, active: bool) -> PlanTemplate:
    require(actor, "plantemplate.manage", organization_id=template.organization_id)
    with transaction.atomic():
        template.is_active = active
        template.save(update_fields=["is_active", "updated_at"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            event="plantemplate.activate" if active else "plantemplate.deactivate",
            obj=template,
            changed_fields=["is_active"],
        )
    return template
