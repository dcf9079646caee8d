"""What the three simulated systems share in one process: data, clock, webhooks, activity."""

from __future__ import annotations

from simulators.clock import SimClock
from simulators.config import SimulatorConfig
from simulators.data import Dataset, generate_dataset
from simulators.live import LiveActivity
from simulators.webhooks import WebhookSender, WebhookTarget


class SimWorld:
    def __init__(self, config: SimulatorConfig) -> None:
        self.seed = config.seed
        self.clock = SimClock()
        self.dataset: Dataset = generate_dataset(config.seed)
        target = (
            None
            if config.webhook_url is None
            else WebhookTarget(
                config.webhook_url, dict(config.webhook_secrets), config.webhook_ca_file
            )
        )
        self.webhooks = WebhookSender(target, self.clock)
        self.live = LiveActivity(self.dataset, self.clock, self.webhooks, config.seed)

    def reset_data(self) -> None:
        """Back to the seeded dataset, in place: every holder of ``dataset`` sees it."""
        self.dataset.replace_with(generate_dataset(self.seed))
        self.clock.restart()
        self.live.reset()
