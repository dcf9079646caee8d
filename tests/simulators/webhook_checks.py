"""Checks on webhooks the writing simulators sent: signed with their secret, contract shape."""

from __future__ import annotations

import hashlib
import hmac
import re

from tests.simulators.conftest import WRITE_SECRETS
from tests.simulators.helpers import RFC3339_UTC
from tests.simulators.webhook_receiver import ReceivedWebhook


def assert_signed_in_contract_shape(webhook: ReceivedWebhook) -> None:
    expected = hmac.new(WRITE_SECRETS[webhook.system].encode(), webhook.body, hashlib.sha256)
    assert webhook.signature is not None
    assert hmac.compare_digest(webhook.signature, f"sha256={expected.hexdigest()}")
    payload = webhook.payload
    assert set(payload) == {"event_id", "event", "occurred_at", "keys", "data"}
    assert re.fullmatch(r"[0-9a-f]{32}", payload["event_id"])
    assert RFC3339_UTC.match(payload["occurred_at"])
    assert payload["keys"] and all(isinstance(key, str) for key in payload["keys"])
