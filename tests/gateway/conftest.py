"""Gateway fixtures: a real gateway over HTTP in front of the simulators."""

from tests.gateway.faulty_gateways import gateway_of_test, sim_faults  # noqa: F401
from tests.gateway_fixtures import *  # noqa: F403
