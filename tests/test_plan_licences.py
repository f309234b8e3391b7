"""Who may lead what (issue: "the plan editor accepts a responsible clinician
whose licence does not allow the modality (family therapy by an LADC), which
the optimizer then cannot staff"). The licence-to-modality rules are data: the
credentials of the session type that answers a plan modality. The editor
offers only people who may lead the chosen modality, the service refuses the
rest with a clear message and writes nothing, a template gives each
intervention to someone licensed for it, and a plan nobody can staff is not
signed."""

import datetime as dt
import re

import pytest

from openiop.accounts.models import StaffCredential
from openiop.care.plans.models import PlanTemplate
from openiop.care.plans.plan_models import PlanIntervention, PlanObjective
from openiop.care.plans.services.plan import plan_item_save, plan_start
from openiop.care.plans.services.signing import plan_sign
from openiop.care.plans.services.templates import templates_ensure
from openiop.core.errors import ApplicationError
from tests.plans_helpers import small_plan
from tests.scheduling_helpers import world


def _objective(plan):
    return PlanObjective.objects.get(goal__problem__version__plan=plan)


def _family(plan, responsible):
    plan.refresh_from_db()
    return plan_item_save(
        actor=plan.episode.primary_clinician,
        plan=plan,
        revision=plan.revision,
        kind="intervention",
        parent=_objective(plan),
        modality="family",
        sessions=1,
        period="week",
        minutes=50,
        responsible=responsible,
    )


def test_family_therapy_by_someone_whose_licence_does_not_allow_it_is_refused(cast):
    world(cast, patients=1, series=False)
    plan = small_plan(cast.clinician_a, cast.episode_a)
    before = PlanIntervention.objects.count()
    # the prescriber holds PMHNP: family therapy needs LCSW, LMFT or PhD/PsyD
    with pytest.raises(ApplicationError) as err:
        _family(plan, cast.prescriber_a)
    name = cast.prescriber_a.get_display_name()
    assert err.value.fields["responsible"] == [
        f"{name} cannot lead family therapy: it needs one of LCSW, LMFT, PhD/PsyD "
        f"({name} holds PMHNP)."
    ]
    assert PlanIntervention.objects.count() == before
    # the clinician's LCSW allows it
    _family(plan, cast.clinician_a)
    assert PlanIntervention.objects.count() == before + 1


def test_an_expired_licence_does_not_count(cast):
    world(cast, patients=1, series=False)
    StaffCredential.objects.filter(user=cast.clinician_a).update(expires_on=dt.date(2020, 1, 1))
    with pytest.raises(ApplicationError) as err:
        small_plan(cast.clinician_a, cast.episode_a)  # its group is the clinician's
    assert "holds no current OR licence" in err.value.fields["responsible"][0]


def test_a_modality_no_session_type_rules_may_be_led_by_anyone(cast):
    world(cast, patients=1, series=False)
    plan = small_plan(cast.clinician_a, cast.episode_a)
    plan.refresh_from_db()
    plan_item_save(
        actor=cast.clinician_a,
        plan=plan,
        revision=plan.revision,
        kind="intervention",
        parent=_objective(plan),
        modality="case_management",
        sessions=1,
        period="week",
        minutes=30,
        responsible=cast.prescriber_a,
    )


def test_a_template_gives_each_intervention_to_someone_licensed_for_it(cast):
    world(cast, patients=1, series=False)
    templates_ensure(cast.org)
    template = PlanTemplate.objects.get(organization=cast.org, key="depression-with-alcohol-use")
    plan = plan_start(actor=cast.clinician_a, episode=cast.episode_a, template=template)
    ivs = PlanIntervention.objects.filter(objective__goal__problem__version__plan=plan)
    by_modality = {iv.modality: iv.responsible_id for iv in ivs}
    # medication management needs a prescriber's licence: the primary clinician
    # (LCSW) keeps the rest
    assert by_modality["medication"] == cast.prescriber_a.pk
    assert by_modality["group"] == cast.clinician_a.pk


def test_a_plan_nobody_can_staff_is_not_signed(cast):
    world(cast, patients=1, series=False)
    plan = small_plan(cast.clinician_a, cast.episode_a)
    _family(plan, cast.clinician_a)
    # the clinician's licence lapses before signing
    StaffCredential.objects.filter(user=cast.clinician_a).update(expires_on=dt.date(2020, 1, 1))
    plan.refresh_from_db()
    with pytest.raises(ApplicationError) as err:
        plan_sign(actor=cast.clinician_a, plan=plan, revision=plan.revision, role="clinician")
    assert "cannot lead" in err.value.message and "before signing" in err.value.message
    assert not plan.versions.get().signatures.exists()


def test_the_editor_marks_who_may_lead_what(cast):
    world(cast, patients=1, series=False)
    plan = small_plan(cast.clinician_a, cast.episode_a)
    objective = _objective(plan)
    page = cast.client("clinician_a").get(
        f"/care/plans/{plan.uuid}/intervention/new/?parent={objective.uuid}"
    )
    html = page.content.decode()
    assert 'data-leads-for="id_modality"' in html
    options = {
        int(value): set(leads.split())
        for value, leads in re.findall(r'<option value="(\d+)"[^>]*?data-leads="([^"]*)"', html)
    }
    assert options[cast.prescriber_a.pk] == {"medication"}
    assert "family" in options[cast.clinician_a.pk]
    assert "medication" not in options[cast.clinician_a.pk]


def test_a_licence_from_another_state_does_not_count(cast):
    """Found: a Washington licence let someone lead family therapy in an Oregon
    program, sign for it, and appear on the Oregon finder's team."""
    from openiop.directory.selectors import team_for

    world(cast, patients=1, series=False)
    assert cast.program_a.site.state == "OR"
    StaffCredential.objects.create(
        user=cast.prescriber_a,
        organization=cast.org,
        license_type="LCSW",
        number="WA-TEST-1",
        state="WA",
        expires_on=dt.date(2030, 1, 1),
    )
    plan = small_plan(cast.clinician_a, cast.episode_a)
    with pytest.raises(ApplicationError) as err:
        _family(plan, cast.prescriber_a)
    assert "holds PMHNP" in err.value.fields["responsible"][0]
    counts = {code: n for code, _label, n in team_for(cast.program_a).counts}
    assert counts["LCSW"] == 1  # the clinician's Oregon licence, not the Washington one


def test_the_editor_knows_the_rules_even_when_nobody_on_staff_is_licensed(cast):
    """Found: with nobody licensed for family therapy, the page offered everyone
    (the script read the rules off the options)."""
    world(cast, patients=1, series=False)
    plan = small_plan(cast.clinician_a, cast.episode_a)
    StaffCredential.objects.filter(license_type__in=["LCSW", "LMFT"]).delete()
    objective = _objective(plan)
    html = (
        cast.client("director_a")
        .get(f"/care/plans/{plan.uuid}/intervention/new/?parent={objective.uuid}")
        .content.decode()
    )
    ruled = re.search(r'data-ruled="([^"]*)"', html).group(1).split()
    assert "family" in ruled and "medication" in ruled
    assert not any("family" in v.split() for v in re.findall(r'data-leads="([^"]*)"', html))


def test_the_plan_page_flags_an_intervention_its_person_may_not_lead(cast):
    world(cast, patients=1, series=False)
    plan = small_plan(cast.clinician_a, cast.episode_a)  # a group, the clinician's
    StaffCredential.objects.filter(user=cast.clinician_a).delete()
    page = cast.client("clinician_a").get(f"/care/plans/{plan.uuid}/").content.decode()
    assert "cannot lead group therapy" in page
    assert "1 intervention of this version is given to someone whose licence" in page
