"""Reading a gateway's ``/metrics`` in tests: samples by name and labels, and deltas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    response = httpx.get(f"{url}/metrics", timeout=30)
    assert response.status_code == 200, response.text
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of every sample of ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(
        value
        for (sample_name, sample_labels), value in samples.items()
        if sample_name == name and wanted <= sample_labels
    )


def by_label(samples: Samples, name: str, label: str, **labels: str) -> dict[str, float]:
    """``name``'s samples summed per value of ``label``."""
    wanted = set(labels.items())
    sums: dict[str, float] = {}
    for (sample_name, sample_labels), value in samples.items():
        if sample_name == name and wanted <= sample_labels:
            key = dict(sample_labels).get(label, "")
            sums[key] = sums.get(key, 0.0) + value
    return sums


def delta(url: str, action: Callable[[], Any]) -> tuple[Samples, Any]:
    """Runs ``action`` and returns how much every sample grew meanwhile, and its result."""
    before = scrape(url)
    result = action()
    after = scrape(url)
    grown = {key: value - before.get(key, 0.0) for key, value in after.items()}
    return {key: value for key, value in grown.items() if value}, result
