"""Scores in the exchange: measures.Response as QuestionnaireResponse and
Observation (export, read API), and imported QuestionnaireResponses scored
again by the measures app (import). Registered by InteropConfig.ready()."""

from openiop.interop import extensions, import_extensions
from openiop.interop.fhir.common import is_part2_program
from openiop.interop.fhir.observation import observation_resource
from openiop.interop.fhir.questionnaire_response import (
    ANSWERS,
    questionnaire_response_resource,
)

SUBSTANCE_INSTRUMENTS = {"audit", "auditc", "dast10", "bam"}
TYPES = ("QuestionnaireResponse", "Observation")


def load_scores(records: dict, episodes_by_id: dict, scope) -> None:
    """Fill `extra` with the scores of these patients (two queries)."""
    if not scope.has("scores"):
        return
    from openiop.measures.models import Response

    rows = Response.objects.filter(patient_id__in=list(records)).select_related(
        "instrument", "episode"
    )
    programs = scope.programs_for("scores")
    if programs is not None:
        rows = rows.filter(episode__program_id__in=programs)
    for r in rows.order_by("administered_at", "id"):
        record = records[r.patient_id]
        episode = episodes_by_id.get(r.episode_id)
        if r.episode_id and episode is None:
            continue  # an episode outside the scope
        definition = r.instrument.definition
        label = record.part2 if episode is None else is_part2_program(episode.program)
        label = label or definition.get("code") in SUBSTANCE_INSTRUMENTS
        if r.episode_id:
            r.episode = episode
        p = record.patient
        record.extra.setdefault("QuestionnaireResponse", []).append(
            questionnaire_response_resource(r, definition, p, part2=label)
        )
        obs = observation_resource(r, definition, p, part2=label)
        if obs is not None:
            record.extra.setdefault("Observation", []).append(obs)


def find_patient(resource_type: str, uid, organization_ids) -> int | None:
    from openiop.measures.models import Response

    return (
        Response.objects.filter(uuid=uid, organization_id__in=organization_ids)
        .values_list("patient_id", flat=True)
        .first()
    )


# import ---------------------------------------------------------------------------


def _instrument_code(resource: dict) -> str | None:
    from openiop.measures.models import Instrument

    url = (resource.get("questionnaire") or "").split("|")[0]
    code = url.rstrip("/").split("/")[-1] if "/Questionnaire/" in url else None
    panels = {
        (e.get("valueCoding") or {}).get("code")
        for e in resource.get("extension") or []
        if e.get("url", "").endswith("/loinc-panel")
    }
    shipped = Instrument.objects.filter(organization__isnull=True, is_active=True)
    if code and shipped.filter(code=code).exists():
        return code
    for inst in shipped:
        panel = (inst.definition.get("loinc") or {}).get("panel")
        if panel and (panel in panels or url.endswith(f"/{panel}")):
            return inst.code
    return None


def _coded_answer(coding: dict):
    """An option's value from a Coding: its code in our answer systems (or with no
    system, as OpenIOP wrote them before); in another system (LOINC's LA codes) the
    code means nothing to the scorer, so the display is read as the option's label."""
    system = coding.get("system")
    code = coding.get("code")
    if system and not system.startswith(f"{ANSWERS}/"):
        return coding.get("display") or code
    return int(code) if code and code.lstrip("-").isdigit() else code


def _answers(resource: dict) -> dict:
    out = {}
    for item in resource.get("item") or []:
        answer = (item.get("answer") or [None])[0]
        if not answer:
            out[item.get("linkId")] = None
        elif "valueCoding" in answer:
            out[item["linkId"]] = _coded_answer(answer["valueCoding"])
        elif "valueInteger" in answer:
            out[item["linkId"]] = answer["valueInteger"]
        elif "valueBoolean" in answer:
            out[item["linkId"]] = answer["valueBoolean"]
        else:
            out[item["linkId"]] = next(iter(answer.values()))
    return out


def map_questionnaire_response(resource: dict, plan, about_patient) -> bool:
    from openiop.core.errors import ApplicationError
    from openiop.interop.services.import_clinical import date_of as _date
    from openiop.measures import scoring
    from openiop.measures.models import Instrument

    if not about_patient(resource, "subject"):
        return True
    key = f"QuestionnaireResponse/{resource.get('id', '')}"
    if resource.get("status") not in ("completed", "amended"):
        plan.skip("QuestionnaireResponse", "not completed", f"{key} ({resource.get('status')})")
        return True
    code = _instrument_code(resource)
    if code is None:
        plan.skip(
            "QuestionnaireResponse",
            "not an instrument OpenIOP scores",
            f"{key} ({resource.get('questionnaire') or 'no questionnaire'})",
        )
        return True
    instrument = Instrument.objects.get(organization__isnull=True, code=code)
    answers = _answers(resource)
    try:
        result = scoring.score(instrument.definition, answers)
    except ApplicationError as exc:
        plan.skip(
            "QuestionnaireResponse",
            f"the answers do not fit the {instrument.short_name}",
            f"{key} ({exc.message})",
        )
        return True
    when = _date(resource.get("authored"))
    total = f"total {result.total}" if result.total is not None else "not scored"
    plan.extra.setdefault("Scores", []).append(
        {
            "code": code,
            "answers": answers,
            "administered_on": when,
            "summary": f"{instrument.short_name} of {when or 'unknown date'}: {total}"
            + (f" ({result.band_label})" if result.band_label else ""),
        }
    )
    return True


def map_observation(resource: dict, plan, about_patient) -> bool:
    categories = {
        c.get("code") for cat in resource.get("category") or [] for c in cat.get("coding") or []
    }
    # a survey score is computed again from its QuestionnaireResponse
    return "survey" in categories and bool(resource.get("derivedFrom"))


def run_scores(actor, episode, plan, created: dict) -> list[str]:
    from django.utils import timezone

    from openiop.access.scope import can
    from openiop.measures.models import Instrument, ResponseSource
    from openiop.measures.services.responses import response_record

    scores = plan.extra.get("Scores", [])
    if not scores:
        return []
    if not can(
        actor,
        "measure.record",
        organization_id=episode.organization_id,
        program_id=episode.program_id,
    ):
        return [f"{len(scores)} score(s) were not imported: your role does not record measures."]
    created.setdefault("scores", 0)
    notes = []
    for s in scores:
        when = s["administered_on"]
        if when is None or when > timezone.localdate():
            notes.append(f"A {s['code'].upper()} without a valid date was dated today.")
            when = timezone.localdate()
        response_record(
            actor=actor,
            patient=episode.patient,
            instrument=Instrument.objects.get(organization__isnull=True, code=s["code"]),
            answers=s["answers"],
            administered_on=when,
            episode=episode,
            source=ResponseSource.IMPORT,
        )
        created["scores"] += 1
    return notes


def register() -> None:
    extensions.register_loader(load_scores, types=TYPES, finder=find_patient)
    import_extensions.register("QuestionnaireResponse", map_questionnaire_response)
    import_extensions.register("Observation", map_observation)
    import_extensions.register_requirement(
        "Scores", "measure.record", "QuestionnaireResponse", "your role does not record measures"
    )
    import_extensions.register_runner(run_scores)
