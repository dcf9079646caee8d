"""Gateway fixtures: a real gateway over HTTP in front of the simulators."""

from tests.gateway_fixtures import *  # noqa: F403
