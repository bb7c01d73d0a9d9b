"""What the lead adds to template.yaml for automations, applied to the translated template until it is there:
the ``by_status`` index of the TicketsTable and AutomationsFunction on a rate(1 hour) schedule. Once the
template has them, nothing is changed. Also: the schedules, automations and rule-sets Blueprints on a private
Chalice app (app.py does not register them yet), served by the test's own client."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

from tests.support import Pipeline

BY_STATUS = {"IndexName": "by_status", "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"},
                                                     {"AttributeName": "status_updated_at", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "ALL"}}


def with_automations(template: dict[str, Any]) -> dict[str, Any]:
    patched = copy.deepcopy(template)
    resources = patched["Resources"]
    table = resources["TicketsTable"]["Properties"]
    if not any(i["IndexName"] == "by_status" for i in table["GlobalSecondaryIndexes"]):
        table["GlobalSecondaryIndexes"].append(BY_STATUS)
        known = {a["AttributeName"] for a in table["AttributeDefinitions"]}
        table["AttributeDefinitions"] += [{"AttributeName": name, "AttributeType": kind} for name, kind in
                                          (("status", "S"), ("status_updated_at", "N")) if name not in known]
    if "AutomationsFunction" not in resources:
        function = copy.deepcopy(resources["SlaEscalationFunction"])
        function["Properties"]["Code"]["S3Key"] = "functions/automations"
        resources["AutomationsFunction"] = function
        resources["AutomationsFunctionHourly"] = {"Type": "AWS::Events::Rule", "Properties": {
            "ScheduleExpression": "rate(1 hour)",
            "Targets": [{"Arn": {"Fn::GetAtt": ["AutomationsFunction", "Arn"]}, "Id": "AutomationsTarget"}]}}
    return patched


_private: list[Any] = []


@contextmanager
def rules_client(pipeline: Pipeline) -> Iterator[Pipeline]:
    from chalice.app import Chalice
    from chalice.test import Client

    from helpdesk.api.app import app
    from helpdesk.api.automations import automations
    from helpdesk.api.rule_sets import rule_sets
    from helpdesk.api.schedules import schedules

    if "/api/v2/automations" in app.routes:
        yield pipeline
        return
    if not _private:  # a Blueprint registers on one app only: one private app for the whole session
        _private.append(Chalice(app_name="helpdesk-automations-test", configure_logs=False))
        for blueprint in (schedules, automations, rule_sets):
            _private[0].register_blueprint(blueprint)
    with Client(_private[0]) as client:
        yield replace(pipeline, api=_Routed(pipeline.api, client))


PREFIXES = ("/api/v2/automations", "/api/v2/business_hours/", "/api/v2/rule_sets")


class _Routed:
    """A test client that sends this slice's paths to the private app and the rest to the product's app."""

    def __init__(self, main: Any, private: Any) -> None:
        self.http = self
        self._main, self._private = main, private

    def __getattr__(self, method: str) -> Any:
        def send(path: str, **kwargs: Any) -> Any:
            client = self._private if path.startswith(PREFIXES) else self._main
            return getattr(client.http, method)(path, **kwargs)

        return send


def hours_pass(pipeline: Pipeline, hours: int) -> None:
    """Let whole hours pass, firing the hourly automations run at each hour (the per-minute sweeps only once
    an hour, to keep the test fast)."""
    for _ in range(hours):
        pipeline.clock.advance(timedelta(minutes=59))
        pipeline.dispatcher.advance(1)
