"""Shared fixtures: the whole pipeline on in-process moto, driven by template.yaml like the local stack."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.support import ADMIN_EMAIL, ADMIN_TOKEN, ROOT, START, Pipeline

AWS_TEST_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def _use_test_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in AWS_TEST_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    _use_test_credentials(monkeypatch)


@pytest.fixture(scope="session")
def translated_template() -> dict[str, Any]:
    from helpdesk.local.template import load_sam_template, translate_offline

    return translate_offline(load_sam_template(ROOT / "template.yaml"))


@contextmanager
def running_pipeline(translated_template: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    """The stack provisioned on moto, its dispatcher, a fixed clock, the admin, and a Chalice test client."""
    import boto3
    from chalice.test import Client
    from moto import mock_aws

    from helpdesk import bootstrap
    from helpdesk.api.app import app
    from helpdesk.domain.clock import FixedClock, SystemClock
    from helpdesk.local.dispatcher import Dispatcher
    from helpdesk.local.provision import provision
    from helpdesk.local.template import LOCAL_PARAMETERS
    from helpdesk.services.auth import create_admin

    with mock_aws():
        stack = provision(translated_template, parameter_overrides=LOCAL_PARAMETERS)
        for name, value in stack.env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("PUBLIC_API_URL", "https://helpdesk.test")
        for spec in stack.functions.values():  # as the local stack does: links point at the API we serve
            if "PUBLIC_API_URL" in spec.env:
                spec.env["PUBLIC_API_URL"] = "https://helpdesk.test"
        clock = FixedClock(START)
        bootstrap.set_clock(clock)
        bootstrap.reset()
        sqs = boto3.client("sqs", region_name="us-east-1")
        dispatcher = Dispatcher(ROOT, stack, sqs, clock, "us-east-1", isolate_env=True)
        create_admin(bootstrap.container(), ADMIN_EMAIL, "Admin", ADMIN_TOKEN)
        with Client(app) as client:
            yield Pipeline(stack, dispatcher, clock, client, sqs)
        bootstrap.set_clock(SystemClock())
        bootstrap.reset()


@pytest.fixture
def pipeline(aws_credentials: None, translated_template: dict[str, Any],
             monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    with running_pipeline(translated_template, monkeypatch) as running:
        yield running


@pytest.fixture(scope="module")
def module_pipeline(translated_template: dict[str, Any]) -> Iterator[Pipeline]:
    """One stack for every test of a module, for tests that send many requests and only need the stack to keep
    answering (a fresh stack takes seconds): the tests of such a module must not depend on each other's data."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _use_test_credentials(monkeypatch)
        with running_pipeline(translated_template, monkeypatch) as running:
            yield running
