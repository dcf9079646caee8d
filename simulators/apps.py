"""Build the three apps over one shared world, ready for uvicorn or an ASGI transport."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.applications import Starlette

from simulators.config import SimulatorConfig
from simulators.crm.app import create_crm_app
from simulators.erp.app import create_erp_app
from simulators.faults import FaultSettings
from simulators.knobs import SystemKnobs
from simulators.scm.app import create_scm_app
from simulators.world import SimWorld


@dataclass
class SimulatorApps:
    world: SimWorld
    crm: Starlette
    erp: Starlette
    scm: Starlette
    knobs: dict[str, SystemKnobs]  # by system name


def create_simulator_apps(config: SimulatorConfig) -> SimulatorApps:
    world = SimWorld(config)
    defaults = FaultSettings(latency_ms=config.latency_ms, jitter_ms=config.jitter_ms)
    knobs = {
        system: SystemKnobs.create(system, defaults, config.seed)
        for system in ("crm", "erp", "scm")
    }
    return SimulatorApps(
        world=world,
        crm=create_crm_app(world, knobs["crm"], config.crm_token),
        erp=create_erp_app(world, knobs["erp"], config.erp_api_key),
        scm=create_scm_app(world, knobs["scm"], config.scm_token),
        knobs=knobs,
    )
