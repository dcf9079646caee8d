"""Federation fixtures: the gateway fixtures of tests/gateway_fixtures.py."""

from tests.gateway_fixtures import *  # noqa: F403
