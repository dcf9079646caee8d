"""Demo upstream systems that speak the contracts exactly: a CRM (REST), an ERP
(Odoo-style JSON-RPC) and an SCM (GraphQL) over one seeded, shared dataset.

Entry points live in ``simulators.runner``: ``SimulatorConfig``, ``start_in_thread``,
``serve_forever`` and ``RunningSimulators``. ``simulators.apps.create_simulator_apps``
builds the three ASGI apps without serving them.
"""
