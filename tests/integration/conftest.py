"""Fixtures of the integration tests beyond the shared pipeline (tests/conftest.py)."""

from tests.integration.messaging_support import chat as chat  # the messaging channels, with fake providers
