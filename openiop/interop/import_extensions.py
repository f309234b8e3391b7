"""Where other apps map resources of an imported Bundle (scores)."""

from dataclasses import dataclass

_MAPPERS: dict = {}
_RUNNERS: list = []
_REQUIRES: dict = {}


@dataclass(frozen=True)
class Requirement:
    permission: str  # held in the program admitted to, or the items are not imported
    kind: str  # how the preview lists them: "QuestionnaireResponse"
    reason: str  # why they are not imported without it


def register(resource_type: str, mapper) -> None:
    """`mapper(resource, plan, about_patient) -> bool` fills `plan.extra`."""
    _MAPPERS[resource_type] = mapper


def register_runner(runner) -> None:
    """`runner(actor, episode, plan, created) -> list[str]` writes what the mappers
    planned (`plan.extra` as decided: without what the person may not write)."""
    if runner not in _RUNNERS:
        _RUNNERS.append(runner)


def register_requirement(label: str, permission: str, kind: str, reason: str) -> None:
    """The items a mapper puts under `plan.extra[label]` are written only by
    someone holding `permission`; the preview and the import both ask."""
    _REQUIRES[label] = Requirement(permission, kind, reason)


def requirement(label: str) -> Requirement | None:
    return _REQUIRES.get(label)


def map_resource(resource: dict, plan, about_patient) -> bool:
    mapper = _MAPPERS.get(resource["resourceType"])
    return bool(mapper and mapper(resource, plan, about_patient))


def runners() -> list:
    return list(_RUNNERS)
