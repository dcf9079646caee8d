"""Fuzzing the running gateway: whatever arrives, the answer is well-formed and never a 5xx.

Hypothesis builds documents from the schema's own field names (random selections,
nesting, aliases and arguments, some of them garbage), mangles them, sends text that is
not GraphQL at all, pairs operations with random variables and random cursors, and
wraps all that in random request bodies. Every answer must come within the client's
timeout (the hang detector), as JSON with ``data`` or ``errors``, each error with a
message and an ``extensions.code``. Runs are derandomized, so CI sees the same examples
every time; only queries are generated, so nothing changes the simulators' data.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from schema.build import create_schema

SCHEMA = create_schema()._schema
QUERY_TYPE = SCHEMA.query_type
assert QUERY_TYPE is not None

# Keys the demo systems know, so that some generated queries reach real data.
KNOWN_IDS = ["SO-100001", "SO-100045", "C-000578", "P-1101", "P-1002", "SKU-1101-B", "K10526"]

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# The hang detector: an answer slower than this fails the test.
ANSWER_WITHIN_S = 20.0

ACCEPT = st.sampled_from([None, "application/json", "application/graphql-response+json", "*/*"])

names = st.from_regex(r"\A[a-zA-Z_][a-zA-Z0-9_]{0,8}\Z")
garbage_literals = st.sampled_from(
    ["null", "true", "-1", "2147483648", "1.5e400", '"\\u0000"', "[[]]", "{a: 1}", "NOPE", "$v"]
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(KNOWN_IDS),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def graphql_string(text: str) -> str:
    return json.dumps(text)


@st.composite
def cursors(draw: st.DrawFn) -> str:
    """Cursors the gateway could have handed out, or almost, or not at all."""
    payload = draw(
        st.fixed_dictionaries({"c": st.none() | st.text(max_size=12), "s": st.integers()})
        | json_values
    )
    encoded = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    return draw(st.sampled_from([encoded, encoded[:-1], encoded + "!"]) | st.text(max_size=12))


@st.composite
def literal_for(draw: st.DrawFn, input_type: GraphQLInputType, chaos: bool, depth: int = 0) -> str:
    """A literal of ``input_type``; with ``chaos``, a wrong one now and then."""
    if chaos and draw(st.integers(0, 9)) == 0:
        return draw(garbage_literals)
    if isinstance(input_type, GraphQLNonNull):
        return draw(literal_for(input_type.of_type, chaos, depth))
    if isinstance(input_type, GraphQLList):
        items = draw(st.lists(literal_for(input_type.of_type, chaos, depth + 1), max_size=3))
        return "[" + ", ".join(items) + "]"
    if isinstance(input_type, GraphQLEnumType):
        return str(draw(st.sampled_from(sorted(input_type.values))))
    if isinstance(input_type, GraphQLInputObjectType):
        if depth > 2:
            return "{}"
        fields = draw(st.lists(st.sampled_from(list(input_type.fields)), max_size=3, unique=True))
        values = [
            f"{name}: {draw(literal_for(input_type.fields[name].type, chaos, depth + 1))}"
            for name in fields
        ]
        return "{" + ", ".join(values) + "}"
    assert isinstance(input_type, GraphQLScalarType)
    if input_type.name == "Int":
        sizes = st.integers(-3, 30) | st.sampled_from([0, 200, 201])
        return str(draw(sizes | st.just(2**31) if chaos else sizes))
    if input_type.name == "Float":
        return repr(draw(st.floats(allow_nan=False, allow_infinity=False)))
    if input_type.name == "Boolean":
        return draw(st.sampled_from(["true", "false"]))
    return graphql_string(draw(st.sampled_from(KNOWN_IDS) | st.text(max_size=16) | cursors()))


@st.composite
def arguments(draw: st.DrawFn, field: GraphQLField, chaos: bool) -> str:
    chosen = [
        name
        for name, argument in field.args.items()
        if isinstance(argument.type, GraphQLNonNull) or draw(st.booleans())
    ]
    if chaos and draw(st.integers(0, 14)) == 0:
        chosen.append(draw(names))  # an argument the field does not have
    if not chosen:
        return ""
    values = []
    for name in chosen:
        argument = field.args.get(name)
        literal = draw(literal_for(argument.type, chaos)) if argument else draw(garbage_literals)
        values.append(f"{name}: {literal}")
    return "(" + ", ".join(values) + ")"


@st.composite
def selection_set(
    draw: st.DrawFn, parent: GraphQLObjectType | GraphQLInterfaceType, depth: int, chaos: bool
) -> str:
    fields = list(parent.fields.items())
    chosen = draw(
        st.lists(st.sampled_from(fields), min_size=1, max_size=3, unique_by=lambda f: f[0])
    )
    parts = []
    for name, field in chosen:
        alias = draw(st.none() | names)
        selected = f"{alias}: {name}" if alias else name
        selected += draw(arguments(field, chaos))
        named = get_named_type(field.type)
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            below = draw(selection_set(named, depth - 1, chaos)) if depth > 0 else "{ __typename }"
            selected += " " + below
        parts.append(selected)
    if chaos and draw(st.integers(0, 9)) == 0:
        parts.append(draw(names))  # a field the type does not have
    if draw(st.integers(0, 9)) == 0:
        parts.append(f"... on {parent.name} {{ __typename }}")
    return "{ " + " ".join(parts) + " }"


@st.composite
def documents(draw: st.DrawFn) -> str:
    assert QUERY_TYPE is not None
    # Half the documents are valid (if not always within the limits), half have mistakes.
    chaos = draw(st.booleans())
    body = draw(selection_set(QUERY_TYPE, draw(st.integers(0, 4)), chaos))
    header = draw(st.sampled_from(["", "query ", "query Fuzz "]))
    return header + body


@st.composite
def mangled(draw: st.DrawFn, document: str) -> str:
    """The document with a slice cut out and some characters put in."""
    start = draw(st.integers(0, len(document)))
    end = draw(st.integers(start, min(len(document), start + 12)))
    noise = draw(st.text(alphabet="{}()[]:$@!.,=\"'#\\ \nabc0_", max_size=6))
    return document[:start] + noise + document[end:]


TEMPLATES = [
    "query ($id: ID!) { order(id: $id) { id status lines { quantity } } }",
    "query ($ids: [ID!]!) { orders(ids: $ids) { id total { amount } } }",
    "query ($first: Int, $after: String, $segment: CustomerSegment) { customers(first: $first,"
    " after: $after, segment: $segment) { edges { cursor node { id } } pageInfo { endCursor } } }",
    "query ($codes: [ID!]!) { products(codes: $codes) { code availableToPromise } }",
    "query ($n: String!) { shipment(trackingNumber: $n) { status events { at } } }",
    "query ($id: ID!, $s: OrderStatus, $f: Int) { customer(id: $id) { orders(status: $s, "
    "first: $f) { id } } }",
    "query ($id: ID!) { orderTracking(orderId: $id) { stage progress timeline { label } } }",
]
VARIABLE_NAMES = ["id", "ids", "first", "after", "segment", "codes", "n", "s", "f"]


@st.composite
def variables(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)  # often not an object at all
    keys = draw(st.lists(st.sampled_from(VARIABLE_NAMES), max_size=4, unique=True))
    value = json_values | cursors() | st.lists(st.sampled_from(KNOWN_IDS), max_size=3)
    return {key: draw(value) for key in keys}


@pytest.fixture(scope="module")
def client(gateway_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway_url, timeout=ANSWER_WITHIN_S) as fuzz_client:
        yield fuzz_client


def post(client: httpx.Client, content: bytes, accept: str | None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if accept is not None:
        headers["accept"] = accept
    return client.post("/graphql", content=content, headers=headers)


def assert_well_formed(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/"), response.headers
    body = response.json()
    answers = body if isinstance(body, list) else [body]
    assert answers, "an empty batch answer"
    for answer in answers:
        assert isinstance(answer, dict), answer
        assert set(answer) <= {"data", "errors", "extensions"}, answer
        assert "data" in answer or "errors" in answer, answer
        assert answer.get("data") is None or isinstance(answer["data"], dict), answer
        for error in answer.get("errors") or []:
            assert isinstance(error["message"], str) and error["message"], error
            assert isinstance(error["extensions"]["code"], str), error
    if response.status_code != 200:
        assert set(body) == {"errors"}, body
    first = answers[0]
    shape = "data" if first.get("data") else "data null" if "data" in first else "no data entry"
    event(f"HTTP {response.status_code}, {shape}")


def encode(body: Any) -> bytes:
    return json.dumps(body).encode()


@FUZZ
@given(document=documents(), accept=ACCEPT)
def test_documents_built_from_the_schema_get_well_formed_answers(client, document, accept):
    assert_well_formed(post(client, encode({"query": document}), accept))


@settings(FUZZ, max_examples=100)
@given(data=st.data(), accept=ACCEPT)
def test_mangled_documents_and_text_that_is_not_graphql_get_well_formed_answers(
    client, data, accept
):
    text = data.draw(
        mangled(data.draw(documents()))
        | st.text(max_size=200)
        | st.text(alphabet="{}()[]:$@!.,=\"' \nabcxyz0123_", max_size=120),
    )
    assert_well_formed(post(client, encode({"query": text}), accept))


@settings(FUZZ, max_examples=100)
@given(template=st.sampled_from(TEMPLATES), values=variables(), accept=ACCEPT)
def test_random_variables_get_well_formed_answers(client, template, values, accept):
    assert_well_formed(post(client, encode({"query": template, "variables": values}), accept))


operations = st.fixed_dictionaries(
    {},
    optional={
        "query": st.sampled_from(TEMPLATES) | documents() | json_values,
        "variables": variables(),
        "operationName": st.none() | names | json_values,
        "extensions": json_values,
    },
)


@settings(FUZZ, max_examples=60)
@given(
    body=operations | st.lists(operations, max_size=12) | json_values,
    accept=ACCEPT,
)
def test_random_request_bodies_and_batches_get_well_formed_answers(client, body, accept):
    assert_well_formed(post(client, encode(body), accept))
