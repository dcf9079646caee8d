"""Whether a document would be run at all: parse, schema validation and query limits.

The same checks execution applies, available before it, for what the gateway stores on
a client's word (an automatic persisted query): a text that fails them is never kept.
"""

from __future__ import annotations

from graphql import GraphQLError, specified_rules, validate

from schema.build import GatewaySchema
from schema.limits import breaches
from schema.strawberry_internals import graphql_schema


def document_errors(schema: GatewaySchema, query: str) -> list[str]:
    """Why ``query`` would be refused before running (empty when it would run).

    Limits that depend on variables are measured with none given (defaults apply); the
    execution measures them again with the request's own.
    """
    try:
        document = schema.parser.parse(query)
    except GraphQLError as error:
        return [error.message]
    rules = [*specified_rules, *schema.extra_validation_rules]
    built = graphql_schema(schema)
    errors = [error.message for error in validate(built, document, rules)]
    if errors:
        return errors
    return [error.message for error in breaches(built, document, {}, schema.limits)]
