"""Where other apps plug resources into the export (scores, attendance).

A loader `loader(records, episodes_by_id, scope)` fills `record.extra[type]`
with resources for each patient record, in a fixed number of queries; it is
registered by `register_loader` when its app is ready.
"""

_LOADERS: list = []


def register_loader(loader) -> None:
    if loader not in _LOADERS:
        _LOADERS.append(loader)


def loaders() -> list:
    return list(_LOADERS)
