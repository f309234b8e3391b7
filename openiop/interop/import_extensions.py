"""Where other apps map resources of an imported Bundle (scores)."""

_MAPPERS: dict = {}
_RUNNERS: list = []


def register(resource_type: str, mapper) -> None:
    """`mapper(resource, plan, about_patient) -> bool` fills `plan.extra`."""
    _MAPPERS[resource_type] = mapper


def register_runner(runner) -> None:
    """`runner(actor, episode, plan) -> list[str]` writes what the mappers planned."""
    if runner not in _RUNNERS:
        _RUNNERS.append(runner)


def map_resource(resource: dict, plan, about_patient) -> bool:
    mapper = _MAPPERS.get(resource["resourceType"])
    return bool(mapper and mapper(resource, plan, about_patient))


def runners() -> list:
    return list(_RUNNERS)
