"""Schema post-processing: document the error answers every operation can give, so that clients (and
schemathesis) can rely on the schema for failures as much as for successes."""

from django.utils.translation import gettext_lazy as _

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "type": "object",
    "description": "Every field error at once: field name (or non_field_errors) to messages.",
    "additionalProperties": True,
}
CONFLICT = {**ERROR, "properties": {**ERROR["properties"], "version": {"type": "integer"}}}

COMMON = {
    "401": (_("Not authenticated."), "Error"),
    "403": (_("This role may not do this."), "Error"),
    "404": (_("Not found, or another municipality's."), "Error"),
    "406": (_("Unacceptable Accept header."), "Error"),
    "429": (_("Throttled."), "Error"),
}
WRITES = {
    "400": (_("Invalid input: every field error."), "FieldErrors"),
    "409": (_("Refused by the workflow, or a stale version."), "Conflict"),
    "415": (_("Send application/json."), "Error"),
}


def _ref(name):
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def add_error_responses(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update({"Error": ERROR, "FieldErrors": FIELD_ERRORS, "Conflict": CONFLICT})
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            _bound_path_ids(operation)
            answers = dict(COMMON)
            # Filters and page numbers are validated on reads too.
            answers["400"] = WRITES["400"]
            if method in ("post", "put", "patch", "delete"):
                answers.update(WRITES)
            for code, (description, schema) in answers.items():
                existing = operation["responses"].get(code)
                if existing is None or "content" not in existing:
                    operation["responses"][code] = {"description": str(description), "content": _ref(schema)}
    return result


def _bound_path_ids(operation):
    # The URL converters match digits only: a negative id is not a route of this API at all.
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" and parameter.get("schema", {}).get("type") == "integer":
            parameter["schema"].update({"minimum": 1, "maximum": 2**63 - 1})
