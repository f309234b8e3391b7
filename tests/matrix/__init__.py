"""The access matrix, one module per area: each module defines MATRIX, a dict of
(route, url name) -> (method, path builder, payload builder or None, expected
status per cast member). Add a module for a new app; it is picked up here."""

import importlib
import pkgutil

MATRIX: dict = {}
for _info in pkgutil.iter_modules(__path__):
    if _info.name == "common":
        continue
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    _overlap = set(MATRIX) & set(_module.MATRIX)
    if _overlap:
        raise RuntimeError(f"Routes defined twice in the access matrix: {sorted(_overlap)}")
    MATRIX.update(_module.MATRIX)
