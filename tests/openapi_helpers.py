"""Checking the `/api/v1/` OpenAPI document against the code that makes it and
against the answers the API really gives.

- `duplicate_names` walks every operation's request and response models, and
  the models nested in them, and groups the classes by `__name__`: that name is
  the component name django-ninja gives a class, and it keeps only the last of
  two classes sharing one (`OpenAPISchema.add_schema_definitions` is a plain
  dict update), so the document alone cannot show a collision.
- `answer_problems` validates a JSON body against the schema the document
  gives for that operation and status, with the OpenAPI 3.1 dialect and its
  format checker (openapi-schema-validator, on top of jsonschema). Object
  schemas are closed first: a key the document does not name is a problem too,
  since a generated client drops it.
"""

import copy
import enum
import typing
from collections import defaultdict

from ninja.openapi.schema import REF_TEMPLATE
from ninja.schema import NinjaGenerateJsonSchema
from openapi_schema_validator import OAS31Validator, oas31_format_checker
from pydantic import BaseModel


def operations(api):
    """Every operation of a NinjaAPI, with the path it is mounted under."""
    for router in api._get_bound_routers():
        for path, path_view in router.path_operations.items():
            for op in path_view.operations:
                yield f"{router.prefix}{path}", op


def _models_in(annotation, found: set[type]) -> None:
    """Add every pydantic model and enum `annotation` is or holds, nested ones too."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation not in found:
            found.add(annotation)
            for field in annotation.model_fields.values():
                _models_in(field.annotation, found)
        return
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        found.add(annotation)
        return
    for argument in typing.get_args(annotation):
        _models_in(argument, found)


def documented_classes(api) -> dict[str, set[type]]:
    """ "request" and "response" -> the classes documented for them.

    The top-level models of an operation are django-ninja's own wrappers (the
    query parameters, the body, the response); their fields hold our schemas,
    which are what end up as components, with every model and enum nested in
    them."""
    found: dict[str, set[type]] = {"request": set(), "response": set()}
    for _path, op in operations(api):
        wrappers = [("request", m) for m in op.models] + [
            ("response", m) for m in op.response_models.values() if isinstance(m, type)
        ]
        for side, wrapper in wrappers:
            for field in wrapper.model_fields.values():
                _models_in(field.annotation, found[side])
    return found


def _json_schema(cls: type, mode: str) -> dict:
    if issubclass(cls, enum.Enum):
        return {"enum": [m.value for m in cls]}
    return cls.model_json_schema(
        ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema, mode=mode
    )


def duplicate_names(api) -> dict[str, list[str]]:
    """Component names that would stand for more than one schema -> why.

    Two classes of one name collide; so does one class used in requests and in
    answers whose schema differs between the two (django-ninja documents each
    side under the class name: fields with a default, for one, are required in
    an answer and optional in a request)."""
    found = documented_classes(api)
    by_name: dict[str, set[type]] = defaultdict(set)
    for classes in found.values():
        for cls in classes:
            by_name[cls.__name__].add(cls)
    duplicates = {
        name: sorted(f"{c.__module__}.{c.__qualname__}" for c in classes)
        for name, classes in by_name.items()
        if len(classes) > 1
    }
    for cls in found["request"] & found["response"]:
        if _json_schema(cls, "validation") != _json_schema(cls, "serialization"):
            duplicates.setdefault(cls.__name__, []).append(
                f"{cls.__module__}.{cls.__qualname__} (request and answer schemas differ)"
            )
    return duplicates


def closed(schema):
    """A copy of a JSON schema in which every object schema that lists its
    properties refuses any other key (unless it already says what it allows)."""
    schema = copy.deepcopy(schema)

    def close(node) -> None:
        if isinstance(node, dict):
            if "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    close(schema)
    return schema


def response_schema(doc: dict, path: str, method: str, status: int) -> dict | None:
    """The JSON schema the document gives for an answer, or None if it gives none."""
    responses = doc["paths"][path][method]["responses"]
    answer = responses.get(str(status)) or responses.get(status)
    if answer is None:
        return None
    return answer.get("content", {}).get("application/json", {}).get("schema")


def answer_problems(doc: dict, path: str, method: str, status: int, body) -> list[str]:
    """What in `body` disagrees with the document, one line per problem; [] if nothing."""
    schema = response_schema(doc, path, method, status)
    if schema is None:
        return [f"the document has no JSON schema for a {status} answer"]
    # the answer's schema with the document's components beside it, so that
    # "#/components/schemas/..." resolves within this one resource
    root = closed({**schema, "components": doc["components"]})
    validator = OAS31Validator(root, format_checker=oas31_format_checker)
    problems = []
    for error in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in error.absolute_path) or "(the body)"
        problems.append(f"{where}: {error.message[:300]}")
    return problems


def free_form_objects(doc: dict) -> set[str]:
    """ "Component.field" of every object in an answer whose keys and values the
    document leaves open (a plain `dict`): a generated client sees no shape."""
    schemas = doc["components"]["schemas"]
    found: set[str] = set()

    def visit(node, where: str, seen: set[str]) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item, where, seen)
            return
        if not isinstance(node, dict):
            return
        ref = node.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                visit(schemas[name], name, seen)
            return
        if node.get("type") == "object" and "properties" not in node:
            rest = node.get("additionalProperties", True)
            if rest is True or rest == {}:
                found.add(where)
        for key, value in node.items():
            if key == "properties":
                for field, schema in value.items():
                    visit(schema, f"{where.split('.')[0]}.{field}", seen)
            else:
                visit(value, where, seen)

    seen: set[str] = set()
    for path, operations_ in doc["paths"].items():
        for method, op in operations_.items():
            for status, answer in op.get("responses", {}).items():
                schema = answer.get("content", {}).get("application/json", {}).get("schema")
                if schema is not None:
                    visit(schema, f"{method.upper()} {path} {status}", seen)
    return found
