"""The shared, seeded dataset of the three simulated systems."""

from __future__ import annotations

from simulators.data.dataset import Dataset
from simulators.data.generate import DEFAULT_SEED, DatasetSize, generate_dataset

__all__ = ["DEFAULT_SEED", "Dataset", "DatasetSize", "generate_dataset"]
