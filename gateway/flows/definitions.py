"""Flows as data: the shipped ``flows.json`` and any file ``GATEWAY_FLOWS`` names.

A flow is a trigger (system and events), a GraphQL read over the one graph run once per
key the event names (``read.variables`` may use ``$key`` and ``$event``), the list of
items in its answer to act on (``items``, a path; the whole answer when absent), named
values per item (``let``), and actions: each a condition (``when``) and a GraphQL
mutation with variables taken from the read. ``when_event`` skips an event without any
read. Values and conditions are in the language of ``gateway.flows.expressions``.
Every document is validated against the schema when the flows are loaded, so a broken
definition stops the gateway at start-up, naming the flow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from graphql import GraphQLSchema, parse, validate

from core.errors import ConfigurationError
from gateway.flows.expressions import ExpressionError, check_condition


@dataclass(frozen=True, slots=True)
class Action:
    name: str
    when: Any
    mutation: str
    variables: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    system: str
    events: frozenset[str]
    read: str
    read_variables: dict[str, Any]
    items: str | None
    let: dict[str, Any]
    actions: tuple[Action, ...]
    when_event: Any = None

    def triggered_by(self, system: str, event: str) -> bool:
        return system == self.system and event in self.events


def _required(raw: dict[str, Any], name: str, where: str) -> Any:
    if name not in raw:
        raise ConfigurationError(f"flow definition {where}: `{name}` is missing")
    return raw[name]


def _document(text: Any, schema: GraphQLSchema, where: str) -> str:
    if not isinstance(text, str):
        raise ConfigurationError(f"flow definition {where}: expected a GraphQL document")
    try:
        errors = validate(schema, parse(text))
    except Exception as error:
        raise ConfigurationError(f"flow definition {where}: {error}") from error
    if errors:
        raise ConfigurationError(f"flow definition {where}: {errors[0].message}")
    return text


def flow_of(raw: dict[str, Any], schema: GraphQLSchema) -> Flow:
    name = str(_required(raw, "name", "without a name"))
    trigger = _required(raw, "trigger", name)
    read = _required(raw, "read", name)
    try:
        actions = tuple(
            Action(
                name=str(action.get("name", f"action {index}")),
                when=action.get("when", {"all": []}),
                mutation=_document(
                    _required(action, "mutation", f"{name}.actions[{index}]"),
                    schema,
                    f"{name}.actions[{index}]",
                ),
                variables=dict(action.get("variables", {})),
            )
            for index, action in enumerate(_required(raw, "actions", name))
        )
        for index, action in enumerate(actions):
            check_condition(action.when, f"{name}.actions[{index}].when")
        if raw.get("when_event") is not None:
            check_condition(raw["when_event"], f"{name}.when_event")
    except ExpressionError as error:
        raise ConfigurationError(f"flow definition {error}") from error
    return Flow(
        name=name,
        system=str(_required(trigger, "system", name)),
        events=frozenset(_required(trigger, "events", name)),
        read=_document(_required(read, "query", name), schema, f"{name}.read"),
        read_variables=dict(read.get("variables", {})),
        items=raw.get("items"),
        let=dict(raw.get("let", {})),
        actions=actions,
        when_event=raw.get("when_event"),
    )


def flows_in(text: str, schema: GraphQLSchema, source: str) -> list[Flow]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigurationError(f"flow definitions {source}: not JSON ({error})") from error
    if not isinstance(document, dict) or not isinstance(document.get("flows"), list):
        raise ConfigurationError(f'flow definitions {source}: expected {{"flows": [...]}}')
    return [flow_of(raw, schema) for raw in document["flows"]]


def load_flows(schema: GraphQLSchema, extra_path: str | None) -> list[Flow]:
    """The shipped flows, then those of ``extra_path``; a later flow of a name replaces."""
    shipped = resources.files("gateway.flows").joinpath("flows.json").read_text()
    flows = {flow.name: flow for flow in flows_in(shipped, schema, "flows.json")}
    if extra_path:
        path = Path(extra_path)
        try:
            text = path.read_text()
        except OSError as error:
            raise ConfigurationError(f"GATEWAY_FLOWS={extra_path}: {error}") from error
        flows |= {flow.name: flow for flow in flows_in(text, schema, str(path))}
    return list(flows.values())
