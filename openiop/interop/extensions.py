"""Where other apps plug resources into the export (scores, attendance).

A loader `loader(records, episodes_by_id, scope)` fills `record.extra[type]`
with resources for each patient record, in a fixed number of queries; a
finder `finder(resource_type, resource_id) -> patient_id | None` lets the
read API find whose record a resource is. Both are registered, with the
resource types they provide, when their app is ready.
"""

_LOADERS: list = []
_FINDERS: dict = {}


def register_loader(loader, *, types: tuple[str, ...] = (), finder=None) -> None:
    if loader not in _LOADERS:
        _LOADERS.append(loader)
    for t in types:
        _FINDERS[t] = finder


def loaders() -> list:
    return list(_LOADERS)


def provided_types() -> tuple[str, ...]:
    return tuple(_FINDERS)


def finder_for(resource_type: str):
    return _FINDERS.get(resource_type)
