"""A strawberry extension that tells the request's record which operation ran and how it went.

Outcomes: ``ok`` (no errors), ``partial`` (data and errors, e.g. one system down),
``error`` (errors and no data: a limit, a validation error, a failed mutation). The
middleware turns them into metrics and log fields; over websockets (no record) the
extension does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from gateway.observability.request_context import current_request


class ObservedOperations(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        record = current_request()
        if record is None:
            return
        context = self.execution_context
        try:
            record.operation = context.operation_name
        except Exception:  # a document that did not parse has no operation name
            record.operation = None
        try:
            record.operation_type = context.operation_type.value
        except Exception:
            record.operation_type = None
        result = context.result
        errors = getattr(result, "errors", None) if result is not None else None
        data = getattr(result, "data", None) if result is not None else None
        if errors:
            record.outcome = "partial" if data else "error"
        else:
            record.outcome = "ok"
