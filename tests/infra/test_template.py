"""Infrastructure tests: template.yaml lints, transforms offline, and is wired the way the design says."""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpdesk.local.template import LOCAL_CODE_BUCKET, load_sam_template, parameter_values, translate_offline

Template = dict[str, Any]

FUNCTIONS = {
    "ApiFunction": "functions/api/",
    "EmailIngestFunction": "functions/email_ingest/",
    "TicketCreateFunction": "functions/ticket_create/",
    "TriggerEvalFunction": "functions/trigger_eval/",
    "NotifyFunction": "functions/notify/",
    "CsatSurveyFunction": "functions/csat_survey/",
    "SlaEscalationFunction": "functions/sla_escalation/",
    "AutomationsFunction": "functions/automations/",
    "MessagingIngestFunction": "functions/messaging_ingest/",
    "MessagingSendFunction": "functions/messaging_send/",
    "MessagingMediaFunction": "functions/messaging_media/",
}
SQS_FED = {
    "EmailIngestFunction": "SesInboundQueue",
    "TicketCreateFunction": "InboundQueue",
    "TriggerEvalFunction": "TriggerQueue",
    "NotifyFunction": "NotifyQueue",
    "CsatSurveyFunction": "SurveyQueue",
    "MessagingIngestFunction": "MessagingInboundQueue",
    "MessagingSendFunction": "MessagingOutboundQueue",
    "MessagingMediaFunction": "MessagingMediaQueue",
}
API_ROUTES = {
    ("GET", "/api/v2/tickets.json"),
    ("POST", "/api/v2/tickets.json"),
    ("GET", "/api/v2/tickets"),
    ("POST", "/api/v2/tickets"),
    ("GET", "/api/v2/tickets/{ticket_id}"),
    ("PUT", "/api/v2/tickets/{ticket_id}"),
    ("POST", "/api/v2/tickets/{ticket_id}"),  # create_many (show_many and update_many: GET and PUT)
    ("GET", "/api/v2/job_statuses/{job_status_id}"),
    ("POST", "/api/v2/tickets/{ticket_id}/merge.json"),
    ("POST", "/api/v2/tickets/{ticket_id}/merge"),
    ("GET", "/api/v2/users/{user_id}/tickets/{kind}"),  # requested, assigned (ccd: refused with the reason)
    ("GET", "/api/v2/organizations/{organization_id}/tickets.json"),
    ("GET", "/api/v2/organizations/{organization_id}/tickets"),
    ("GET", "/api/v2/account/settings.json"),
    ("PUT", "/api/v2/account/settings.json"),
    ("GET", "/api/v2/account/settings"),
    ("PUT", "/api/v2/account/settings"),
    ("GET", "/api/v2/attachments/{attachment_id}"),
    ("GET", "/api/v2/attachments/{attachment_id}/content"),  # a redirect to a signed S3 URL of the file
    ("DELETE", "/api/v2/tickets/{ticket_id}"),  # soft delete (and destroy_many)
    ("GET", "/api/v2/deleted_tickets.json"),
    ("GET", "/api/v2/deleted_tickets"),
    ("PUT", "/api/v2/deleted_tickets/{deleted_ticket_id}"),  # restore_many
    ("DELETE", "/api/v2/deleted_tickets/{deleted_ticket_id}"),  # permanent deletion (and destroy_many)
    ("PUT", "/api/v2/deleted_tickets/{deleted_ticket_id}/restore.json"),
    ("PUT", "/api/v2/deleted_tickets/{deleted_ticket_id}/restore"),
    ("GET", "/api/v2/tickets/{ticket_id}/tags.json"),
    ("GET", "/api/v2/tickets/{ticket_id}/tags"),
    ("PUT", "/api/v2/tickets/{ticket_id}/tags.json"),
    ("PUT", "/api/v2/tickets/{ticket_id}/tags"),
    ("POST", "/api/v2/tickets/{ticket_id}/tags.json"),
    ("POST", "/api/v2/tickets/{ticket_id}/tags"),
    ("DELETE", "/api/v2/tickets/{ticket_id}/tags.json"),
    ("DELETE", "/api/v2/tickets/{ticket_id}/tags"),
    ("GET", "/api/v2/tickets/{ticket_id}/comments.json"),
    ("GET", "/api/v2/tickets/{ticket_id}/comments"),
    ("GET", "/api/v2/triggers.json"),
    ("POST", "/api/v2/triggers.json"),
    ("GET", "/api/v2/triggers"),
    ("POST", "/api/v2/triggers"),
    ("GET", "/api/v2/slas/policies.json"),
    ("POST", "/api/v2/slas/policies.json"),
    ("GET", "/api/v2/slas/policies"),
    ("POST", "/api/v2/slas/policies"),
    ("GET", "/api/v2/triggers/{trigger_id}"),
    ("PUT", "/api/v2/triggers/{trigger_id}"),
    ("DELETE", "/api/v2/triggers/{trigger_id}"),
    ("PUT", "/api/v2/triggers/reorder.json"),
    ("PUT", "/api/v2/triggers/reorder"),
    ("GET", "/api/v2/triggers/definitions.json"),
    ("GET", "/api/v2/triggers/definitions"),
    ("GET", "/api/v2/webhooks.json"),
    ("POST", "/api/v2/webhooks.json"),
    ("GET", "/api/v2/webhooks"),
    ("POST", "/api/v2/webhooks"),
    ("GET", "/api/v2/webhooks/{webhook_id}"),
    ("PUT", "/api/v2/webhooks/{webhook_id}"),
    ("PATCH", "/api/v2/webhooks/{webhook_id}"),
    ("DELETE", "/api/v2/webhooks/{webhook_id}"),
    ("GET", "/api/v2/webhooks/{webhook_id}/signing_secret"),
    ("POST", "/api/v2/webhooks/{webhook_id}/signing_secret"),
    ("GET", "/api/v2/webhooks/{webhook_id}/invocations"),
    ("GET", "/api/v2/group_memberships"),
    ("POST", "/api/v2/group_memberships"),
    ("GET", "/api/v2/group_memberships.json"),
    ("POST", "/api/v2/group_memberships.json"),
    ("DELETE", "/api/v2/group_memberships/{membership_id}"),
    ("GET", "/api/v2/group_memberships/{membership_id}"),
    ("PUT", "/api/v2/group_memberships/{membership_id}"),
    ("GET", "/api/v2/groups"),
    ("POST", "/api/v2/groups"),
    ("GET", "/api/v2/groups.json"),
    ("POST", "/api/v2/groups.json"),
    ("DELETE", "/api/v2/groups/{group_id}"),
    ("GET", "/api/v2/groups/{group_id}"),
    ("PUT", "/api/v2/groups/{group_id}"),
    ("GET", "/api/v2/groups/{group_id}/memberships"),
    ("GET", "/api/v2/groups/{group_id}/memberships.json"),
    ("GET", "/api/v2/macros"),
    ("POST", "/api/v2/macros"),
    ("GET", "/api/v2/macros.json"),
    ("POST", "/api/v2/macros.json"),
    ("DELETE", "/api/v2/macros/{macro_id}"),
    ("GET", "/api/v2/macros/{macro_id}"),
    ("PUT", "/api/v2/macros/{macro_id}"),
    ("GET", "/api/v2/macros/{macro_id}/apply"),
    ("GET", "/api/v2/macros/{macro_id}/apply.json"),
    ("GET", "/api/v2/tickets/{ticket_id}/macros/{macro_id}/apply"),
    ("GET", "/api/v2/tickets/{ticket_id}/macros/{macro_id}/apply.json"),
    ("GET", "/api/v2/automations"),
    ("POST", "/api/v2/automations"),
    ("GET", "/api/v2/automations.json"),
    ("POST", "/api/v2/automations.json"),
    ("DELETE", "/api/v2/automations/{automation_id}"),
    ("GET", "/api/v2/automations/{automation_id}"),
    ("PUT", "/api/v2/automations/{automation_id}"),
    ("GET", "/api/v2/business_hours/schedules"),
    ("POST", "/api/v2/business_hours/schedules"),
    ("GET", "/api/v2/business_hours/schedules.json"),
    ("POST", "/api/v2/business_hours/schedules.json"),
    ("DELETE", "/api/v2/business_hours/schedules/{schedule_id}"),
    ("GET", "/api/v2/business_hours/schedules/{schedule_id}"),
    ("PUT", "/api/v2/business_hours/schedules/{schedule_id}"),
    ("GET", "/api/v2/rule_sets"),
    ("POST", "/api/v2/rule_sets"),
    ("GET", "/api/v2/rule_sets.json"),
    ("POST", "/api/v2/rule_sets.json"),
    ("DELETE", "/api/v2/rule_sets/{rule_set_id}"),
    ("GET", "/api/v2/rule_sets/{rule_set_id}"),
    ("PUT", "/api/v2/rule_sets/{rule_set_id}"),
    ("GET", "/api/v2/organizations"),
    ("POST", "/api/v2/organizations"),
    ("GET", "/api/v2/organizations.json"),
    ("POST", "/api/v2/organizations.json"),
    ("DELETE", "/api/v2/organizations/{organization_id}"),
    ("GET", "/api/v2/organizations/{organization_id}"),
    ("PUT", "/api/v2/organizations/{organization_id}"),
    ("GET", "/api/v2/ticket_metrics"),
    ("GET", "/api/v2/ticket_metrics.json"),
    ("GET", "/api/v2/ticket_metrics/{ticket_metric_id}"),
    ("GET", "/api/v2/tickets/{ticket_id}/metrics"),
    ("GET", "/api/v2/tickets/{ticket_id}/metrics.json"),
    ("GET", "/api/v2/views"),
    ("POST", "/api/v2/views"),
    ("GET", "/api/v2/views.json"),
    ("POST", "/api/v2/views.json"),
    ("GET", "/api/v2/views/active"),
    ("GET", "/api/v2/views/active.json"),
    ("GET", "/api/v2/views/count_many"),
    ("GET", "/api/v2/views/count_many.json"),
    ("POST", "/api/v2/views/preview"),
    ("POST", "/api/v2/views/preview.json"),
    ("GET", "/api/v2/views/{view_id}"),
    ("PUT", "/api/v2/views/{view_id}"),
    ("DELETE", "/api/v2/views/{view_id}"),
    ("GET", "/api/v2/views/{view_id}/tickets"),
    ("GET", "/api/v2/views/{view_id}/tickets.json"),
    ("GET", "/api/v2/views/{view_id}/count"),
    ("GET", "/api/v2/views/{view_id}/count.json"),
    ("GET", "/api/v2/satisfaction_ratings"),
    ("GET", "/api/v2/satisfaction_ratings.json"),
    ("GET", "/api/v2/satisfaction_ratings/{rating_id}"),
    ("GET", "/api/v2/suspended_tickets"),
    ("GET", "/api/v2/suspended_tickets.json"),
    ("GET", "/api/v2/suspended_tickets/{suspended_id}"),
    ("DELETE", "/api/v2/suspended_tickets/{suspended_id}"),
    ("PUT", "/api/v2/suspended_tickets/{suspended_id}/recover"),
    ("PUT", "/api/v2/suspended_tickets/{suspended_id}/recover.json"),
    ("GET", "/api/v2/api_tokens"),
    ("POST", "/api/v2/api_tokens"),
    ("GET", "/api/v2/api_tokens.json"),
    ("POST", "/api/v2/api_tokens.json"),
    ("DELETE", "/api/v2/api_tokens/{token_id}"),
    ("GET", "/api/v2/api_tokens/{token_id}"),
    ("GET", "/api/v2/users"),
    ("POST", "/api/v2/users"),
    ("GET", "/api/v2/users.json"),
    ("POST", "/api/v2/users.json"),
    ("DELETE", "/api/v2/users/{user_id}"),
    ("GET", "/api/v2/users/{user_id}"),
    ("POST", "/api/v2/users/{user_id}"),
    ("PUT", "/api/v2/users/{user_id}"),
    ("GET", "/inbound/whatsapp"),
    ("POST", "/inbound/whatsapp"),
    ("GET", "/inbound/messenger"),
    ("POST", "/inbound/messenger"),
    ("POST", "/inbound/twilio"),
    ("POST", "/inbound/twilio/status"),
    ("GET", "/chat/widget.js"),
    ("GET", "/chat/widget.css"),
    ("POST", "/chat/visitors"),
    ("OPTIONS", "/chat/visitors"),
    ("GET", "/chat/messages"),
    ("POST", "/chat/messages"),
    ("OPTIONS", "/chat/messages"),
    ("GET", "/api/v2/users/{user_id}/identities"),
    ("POST", "/api/v2/users/{user_id}/identities"),
    ("GET", "/api/v2/users/{user_id}/identities.json"),
    ("POST", "/api/v2/users/{user_id}/identities.json"),
    ("GET", "/api/v2/users/{user_id}/identities/{identity_id}"),
    ("DELETE", "/api/v2/users/{user_id}/identities/{identity_id}"),
    ("GET", "/api/v2/channel_accounts"),
    ("POST", "/api/v2/channel_accounts"),
    ("GET", "/api/v2/channel_accounts.json"),
    ("POST", "/api/v2/channel_accounts.json"),
    ("GET", "/api/v2/channel_accounts/{account_id}"),
    ("PUT", "/api/v2/channel_accounts/{account_id}"),
    ("DELETE", "/api/v2/channel_accounts/{account_id}"),
    ("GET", "/api/v2/tickets/{ticket_id}/audits"),
    ("GET", "/api/v2/tickets/{ticket_id}/audits.json"),
    ("DELETE", "/api/v2/slas/policies/{sla_policy_id}"),
    ("GET", "/api/v2/slas/policies/{sla_policy_id}"),
    ("PUT", "/api/v2/slas/policies/{sla_policy_id}"),
    ("PUT", "/api/v2/slas/policies/reorder.json"),
    ("PUT", "/api/v2/slas/policies/reorder"),
    ("GET", "/api/v2/slas/policies/definitions.json"),
    ("GET", "/api/v2/slas/policies/definitions"),
    ("GET", "/api/v2/tickets/{ticket_id}/metric_events.json"),
    ("GET", "/api/v2/tickets/{ticket_id}/metric_events"),
    ("GET", "/api/v2/incremental/ticket_metric_events.json"),
    ("GET", "/api/v2/incremental/ticket_metric_events"),
    ("GET", "/api/v2/rule_stats/triggers.json"),
    ("GET", "/api/v2/rule_stats/triggers"),
    ("POST", "/api/v2/rule_stats/dry_run.json"),
    ("POST", "/api/v2/rule_stats/dry_run"),
    ("POST", "/api/v2/uploads.json"),
    ("POST", "/api/v2/uploads"),
    ("GET", "/api/v2/recipient_addresses.json"),
    ("POST", "/api/v2/recipient_addresses.json"),
    ("GET", "/api/v2/recipient_addresses"),
    ("POST", "/api/v2/recipient_addresses"),
    ("POST", "/inbound/email/raw"),
    ("POST", "/inbound/sendgrid"),
    ("POST", "/inbound/mailgun"),
    ("POST", "/inbound/mailgun/mime"),
    ("POST", "/inbound/postmark"),
    ("GET", "/surveys/{token}"),
    ("POST", "/surveys/{token}"),
}
# Actions that cannot be scoped to a resource ARN; nothing else may be granted on "*".
UNSCOPABLE_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "cloudwatch:PutMetricData"}
# AWS managed policies SAM attaches by ARN (basic logging; SQS polling for the event source mapping).
ALLOWED_MANAGED_POLICIES = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
}


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sam() -> Template:
    return load_sam_template(repo_root() / "template.yaml")


@pytest.fixture(scope="module")
def cfn(sam: Template) -> Template:
    return translate_offline(sam)


def of_type(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


def props(template: Template, logical_id: str) -> dict[str, Any]:
    properties: dict[str, Any] = template["Resources"][logical_id].get("Properties", {})
    return properties


def get_att_target(value: Any) -> str | None:
    """The logical id in {"Fn::GetAtt": [id, attr]} (or "id.attr"), else None."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        arg = value["Fn::GetAtt"]
        return str(arg.split(".")[0] if isinstance(arg, str) else arg[0])
    return None


# ---------------------------------------------------------------- lint and transform


def test_cfn_lint_reports_no_errors() -> None:
    from cfnlint.api import lint_file

    matches = lint_file(repo_root() / "template.yaml")
    errors = [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches if m.rule.id.startswith("E")]
    warnings = [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches if m.rule.id.startswith("W")]
    assert errors == []
    assert warnings == []


def test_sam_transform_runs_offline(cfn: Template) -> None:
    assert set(of_type(cfn, "AWS::Lambda::Function")) == set(FUNCTIONS)
    mappings = of_type(cfn, "AWS::Lambda::EventSourceMapping")
    fed = {
        m["Properties"]["FunctionName"]["Ref"]: get_att_target(m["Properties"]["EventSourceArn"])
        for m in mappings.values()
    }
    assert fed == SQS_FED
    assert len(of_type(cfn, "AWS::Lambda::LayerVersion")) == 1


def test_load_sam_template_expands_every_short_tag(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "A: !Ref X\nB: !GetAtt Q.Arn\nC: !Sub 'x-${AWS::Region}'\nD: !If [Cond, 1, 2]\n"
        "E: !Equals [a, b]\nF: !Join ['-', [a, b]]\nG: !Select [0, !Split [',', 'a,b']]\n"
        "H: !FindInMap [M, k, v]\nI: !ImportValue Exp\nJ: !Condition Cond\nK: !Not [!Condition Cond]\n"
        "L: !And [!Condition C1, !Condition C2]\nM: !Or [!Condition C1, !Condition C2]\nN: !Base64 abc\n"
        "O: !Cidr [10.0.0.0/16, 4, 8]\nP: !GetAZs ''\nQ: !GetAtt [R, Arn]\n",
        encoding="utf-8",
    )
    assert load_sam_template(path) == {
        "A": {"Ref": "X"},
        "B": {"Fn::GetAtt": ["Q", "Arn"]},
        "C": {"Fn::Sub": "x-${AWS::Region}"},
        "D": {"Fn::If": ["Cond", 1, 2]},
        "E": {"Fn::Equals": ["a", "b"]},
        "F": {"Fn::Join": ["-", ["a", "b"]]},
        "G": {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]},
        "H": {"Fn::FindInMap": ["M", "k", "v"]},
        "I": {"Fn::ImportValue": "Exp"},
        "J": {"Condition": "Cond"},
        "K": {"Fn::Not": [{"Condition": "Cond"}]},
        "L": {"Fn::And": [{"Condition": "C1"}, {"Condition": "C2"}]},
        "M": {"Fn::Or": [{"Condition": "C1"}, {"Condition": "C2"}]},
        "N": {"Fn::Base64": "abc"},
        "O": {"Fn::Cidr": ["10.0.0.0/16", 4, 8]},
        "P": {"Fn::GetAZs": ""},
        "Q": {"Fn::GetAtt": ["R", "Arn"]},
    }


def test_translate_offline_takes_overrides_and_leaves_its_input_alone(sam: Template) -> None:
    values = parameter_values(sam, {"Stage": "prod"})
    assert values["Stage"] == "prod"
    assert values["SenderAddress"] == "support@example.com"
    translated = translate_offline(sam, {"Stage": "prod"})
    assert props(translated, "TicketCreateFunction")["Code"] == {
        "S3Bucket": LOCAL_CODE_BUCKET,
        "S3Key": "functions/ticket_create",
    }
    assert "Globals" in sam
    assert props(sam, "TicketCreateFunction")["CodeUri"] == "functions/ticket_create/"


# ---------------------------------------------------------------- contract other code relies on


def test_globals_and_parameters(sam: Template) -> None:
    function = sam["Globals"]["Function"]
    assert function["Runtime"] == "python3.13"
    assert function["Architectures"] == ["arm64"]
    assert function["Timeout"] == 30
    assert function["Layers"] == [{"Ref": "HelpdeskLayer"}]
    assert set(function["Environment"]["Variables"]) == {
        "TICKETS_TABLE",
        "ACTIVITY_TABLE",
        "DIRECTORY_TABLE",
        "RULES_TABLE",
        "EVENT_BUS_NAME",
        "STAGE",
        "SENDER_ADDRESS",
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "LOG_LEVEL",
    }
    defaults = {name: spec.get("Default") for name, spec in sam["Parameters"].items()}
    assert defaults["Stage"] == "dev"
    assert defaults["SenderAddress"] == "support@example.com"
    assert defaults["SurveyDelayMinutes"] == 1440
    assert defaults["LogLevel"] == "INFO"
    assert defaults["CloseSolvedAfterDays"] == 4 and sam["Parameters"]["CloseSolvedAfterDays"]["MaxValue"] == 28
    assert defaults["WebhookPrivateTargets"] == "deny"  # a deployment's webhooks never reach 169.254.169.254


def test_functions_code_and_handlers(sam: Template) -> None:
    functions = of_type(sam, "AWS::Serverless::Function")
    assert {k: v["Properties"]["CodeUri"] for k, v in functions.items()} == FUNCTIONS
    handlers = {k: v["Properties"]["Handler"] for k, v in functions.items()}
    assert handlers.pop("ApiFunction") == "app.app"
    assert set(handlers.values()) == {"handler.handler"}


def test_function_environments(sam: Template) -> None:
    env = {
        k: set(v["Properties"].get("Environment", {}).get("Variables", {}))
        for k, v in of_type(sam, "AWS::Serverless::Function").items()
    }
    assert env["ApiFunction"] == {"INBOUND_QUEUE_URL", "RAW_MAIL_BUCKET", "SURVEY_SECRET_ARN", "INBOUND_SECRET_ARN",
                                  "MESSAGING_QUEUE_URL", "MESSAGING_DEAD_LETTER_URL", "PUBLIC_API_URL",
                                  "MESSAGING_AUTO_ACCOUNTS",  # the web chat's widget keys, as messaging accounts
                                  "API_RATE_LIMIT_PER_MINUTE"}  # the account's default rate limit
    assert env["EmailIngestFunction"] == {"INBOUND_QUEUE_URL", "RAW_MAIL_BUCKET"}
    assert env["TicketCreateFunction"] == {"RAW_MAIL_BUCKET"}
    assert env["NotifyFunction"] == {"PUBLIC_API_URL", "RAW_MAIL_BUCKET", "REPLY_QUOTE_HISTORY",
                                     "WEBHOOK_PRIVATE_TARGETS"}
    assert env["CsatSurveyFunction"] == {"SURVEY_DELAY_MINUTES", "SURVEY_SECRET_ARN", "PUBLIC_API_URL",
                                         "RAW_MAIL_BUCKET", *MESSAGING_OUT}
    assert env["AutomationsFunction"] == {"CLOSE_SOLVED_AFTER_DAYS", "PUBLIC_API_URL", "SURVEY_SECRET_ARN",
                                          "RAW_MAIL_BUCKET"}
    assert env["TriggerEvalFunction"] == {"PUBLIC_API_URL", "SURVEY_SECRET_ARN", "RAW_MAIL_BUCKET"}
    assert env["SlaEscalationFunction"] == {"RAW_MAIL_BUCKET"}
    assert env["MessagingIngestFunction"] == {"RAW_MAIL_BUCKET", "SURVEY_SECRET_ARN", "MESSAGING_AUTO_ACCOUNTS"}
    assert env["MessagingSendFunction"] == {"RAW_MAIL_BUCKET", "PUBLIC_API_URL", *MESSAGING_OUT}
    assert env["MessagingMediaFunction"] == {"RAW_MAIL_BUCKET", "MESSAGING_SECRET_ARN", "WHATSAPP_API_BASE",
                                             "TWILIO_API_BASE", "WEBHOOK_PRIVATE_TARGETS"}


MESSAGING_OUT = {"MESSAGING_SECRET_ARN", "WHATSAPP_API_BASE", "MESSENGER_API_BASE", "TWILIO_API_BASE",
                 "MESSAGING_AUTO_ACCOUNTS"}  # what a function that sends on messaging channels reads


def _s3_grants(template: Template, role: str) -> set[tuple[str, str]]:
    """(action, object resource) pairs of the role's S3 statements on the raw-mail bucket's objects."""
    import json

    found = set()
    for name, statement in iam_statements(template):
        resources = statement.get("Resource", [])
        for resource in resources if isinstance(resources, list) else [resources]:
            text = json.dumps(resource)
            if name != role or statement.get("Effect") != "Allow" or "raw-mail" not in text:
                continue
            scope = "bodies" if text.endswith('/bodies/*"') else "all" if '/*"' in text else "bucket"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            found |= {(action, scope) for action in actions if action.startswith("s3:")}
    return found


def test_functions_that_keep_tickets_can_keep_their_large_texts(cfn: Template) -> None:
    """A ticket, comment or event text over the inline threshold lives under bodies/ in the raw-mail bucket
    (helpdesk.domain.bodies): whoever reads tickets reads there, whoever writes tickets or events writes there,
    and nothing more than that prefix is granted for it."""
    import json

    for function in FUNCTIONS:
        role = str(get_att_target(props(cfn, function)["Role"]))
        on_tickets = [s for n, s in iam_statements(cfn) if n == role and "TicketsTable" in json.dumps(s["Resource"])]
        grants = _s3_grants(cfn, role)
        if not on_tickets:
            assert ("s3:GetObject", "bodies") not in grants, function
            continue
        assert grants & {("s3:GetObject", "bodies"), ("s3:GetObject", "all")}, function
        writes = any("dynamodb:PutItem" in s["Action"] for s in on_tickets)
        assert not writes or grants & {("s3:PutObject", "bodies"), ("s3:PutObject", "all")}, function
        assert "RAW_MAIL_BUCKET" in props(cfn, function)["Environment"]["Variables"], function


def test_tables_keys_and_indexes(sam: Template) -> None:
    def keys(schema: list[dict[str, str]]) -> list[str]:
        return [k["AttributeName"] for k in schema]

    tables = of_type(sam, "AWS::DynamoDB::Table")
    assert set(tables) == {"TicketsTable", "ActivityTable", "DirectoryTable", "RulesTable"}
    for table in tables.values():
        assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
        assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert keys(props(sam, "TicketsTable")["KeySchema"]) == ["id"]
    indexes = {i["IndexName"]: keys(i["KeySchema"]) for i in props(sam, "TicketsTable")["GlobalSecondaryIndexes"]}
    assert indexes == {
        "sla_due": ["sla_bucket", "sla_due_at"],
        "survey_due": ["survey_bucket", "survey_due_at"],
        "by_updated": ["list_bucket", "updated_at"],
        "by_status": ["status", "status_updated_at"],
        "by_assignee": ["assignee_key", "status"],
        "by_requester": ["requester_key", "updated_at"],
        "by_organization": ["organization_key", "updated_at"],
        "by_external_id": ["external_key", "updated_at"],
        "by_rating": ["rating_score", "rating_at"],
    }
    assert keys(props(sam, "ActivityTable")["KeySchema"]) == ["ticket_id", "sk"]
    assert keys(props(sam, "DirectoryTable")["KeySchema"]) == ["pk"]
    directory = {i["IndexName"]: keys(i["KeySchema"]) for i in props(sam, "DirectoryTable")["GlobalSecondaryIndexes"]}
    assert directory == {"users_by_role": ["user_role", "user_id"]}
    assert props(sam, "DirectoryTable")["TimeToLiveSpecification"] == {
        "AttributeName": "expires_at",
        "Enabled": True,
    }
    assert keys(props(sam, "RulesTable")["KeySchema"]) == ["kind", "id"]


def test_every_model_index_is_in_the_template(sam: Template) -> None:
    """The PynamoDB models and the template agree on each index's name and keys (a renamed index would only fail
    at run time in AWS otherwise)."""
    from helpdesk.adapters.dynamo.models import MODELS

    for name, model in MODELS.items():
        table = props(sam, f"{name.capitalize()}Table")
        declared = {i["IndexName"]: {k["AttributeName"]: k["KeyType"] for k in i["KeySchema"]}
                    for i in table.get("GlobalSecondaryIndexes", [])}
        indexes = {index.Meta.index_name: index for index in model._indexes.values()}
        assert set(indexes) == set(declared), name
        for index_name, index in indexes.items():
            schema = index._get_schema()
            assert {k["AttributeName"]: k["KeyType"] for k in schema["key_schema"]} == declared[index_name]


def test_outputs(sam: Template) -> None:
    assert set(sam["Outputs"]) == {
        "ApiUrl",
        "InboundEmailRawUrl",
        "SurveyBaseUrl",
        "EventBusName",
        "TicketsTableName",
        "ActivityTableName",
        "DirectoryTableName",
        "RulesTableName",
        "RawMailBucketName",
        "InboundQueueUrl",
        "SendgridInboundUrl",
        "MailgunInboundUrl",
        "PostmarkInboundUrl",
        "InboundProviderSecretArn",
        "WhatsAppWebhookUrl",
        "MessengerWebhookUrl",
        "TwilioWebhookUrl",
        "MessagingProviderSecretArn",
        "WebChatWidgetScriptUrl",
    }


def test_inbound_queue_is_fifo_without_content_deduplication(sam: Template) -> None:
    assert props(sam, "InboundQueue")["FifoQueue"] is True
    assert props(sam, "InboundQueue")["ContentBasedDeduplication"] is False
    assert props(sam, "InboundDeadLetterQueue")["FifoQueue"] is True


# ---------------------------------------------------------------- wiring


def dead_letter_queues(template: Template) -> set[str]:
    dlqs = set()
    for queue in of_type(template, "AWS::SQS::Queue").values():
        target = get_att_target(queue["Properties"].get("RedrivePolicy", {}).get("deadLetterTargetArn"))
        if target:
            dlqs.add(target)
    return dlqs


def redrive_problems(template: Template) -> list[str]:
    queues = of_type(template, "AWS::SQS::Queue")
    dlqs = dead_letter_queues(template)
    problems = []
    for name, queue in queues.items():
        if name in dlqs:
            continue
        redrive = queue["Properties"].get("RedrivePolicy")
        if not redrive:
            problems.append(f"{name} has no RedrivePolicy")
        elif get_att_target(redrive.get("deadLetterTargetArn")) not in queues:
            problems.append(f"{name} redrives to a queue outside the template")
    return problems


def test_every_queue_redrives_to_a_dead_letter_queue(cfn: Template) -> None:
    assert redrive_problems(cfn) == []
    assert dead_letter_queues(cfn) == {
        "SesInboundDeadLetterQueue",
        "InboundDeadLetterQueue",
        "TriggerDeadLetterQueue",
        "NotifyDeadLetterQueue",
        "SurveyDeadLetterQueue",
        "MessagingInboundDeadLetterQueue",
        "MessagingOutboundDeadLetterQueue",
        "MessagingMediaDeadLetterQueue",
    }
    for dlq in dead_letter_queues(cfn):
        assert props(cfn, dlq)["MessageRetentionPeriod"] == 1209600
    for queue in of_type(cfn, "AWS::SQS::Queue").values():
        redrive = queue["Properties"].get("RedrivePolicy")
        assert redrive is None or redrive["maxReceiveCount"] == 5


def test_redrive_check_catches_a_queue_without_dead_letter_queue(cfn: Template) -> None:
    broken = {"Resources": dict(cfn["Resources"])}
    broken["Resources"]["Orphan"] = {"Type": "AWS::SQS::Queue", "Properties": {}}
    assert redrive_problems(broken) == ["Orphan has no RedrivePolicy"]


def test_every_dead_letter_queue_has_an_alarm(cfn: Template) -> None:
    alarmed = set()
    for alarm in of_type(cfn, "AWS::CloudWatch::Alarm").values():
        p = alarm["Properties"]
        if p["MetricName"] != "ApproximateNumberOfMessagesVisible" or p["Namespace"] != "AWS/SQS":
            continue
        assert p["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert p["Threshold"] == 1
        assert {"Ref": "AlarmTopic"} in p["AlarmActions"]
        for dimension in p["Dimensions"]:
            if dimension["Name"] == "QueueName":
                alarmed.add(get_att_target(dimension["Value"]))
    assert dead_letter_queues(cfn) <= alarmed
    assert "AlarmTopic" in of_type(cfn, "AWS::SNS::Topic")


def test_the_dashboard_shows_every_function_queue_and_dead_letter_queue(cfn: Template) -> None:
    import re

    body = props(cfn, "HelpdeskDashboard")["DashboardBody"]
    text = body["Fn::Sub"] if isinstance(body, dict) else body
    named = set(re.findall(r"\$\{(\w+)(?:\.QueueName)?\}", text))
    functions = set(of_type(cfn, "AWS::Lambda::Function"))
    queues = set(of_type(cfn, "AWS::SQS::Queue"))
    assert functions - named == set()
    assert queues - named == set()


def test_sqs_event_sources_report_batch_item_failures(sam: Template, cfn: Template) -> None:
    for name, function in of_type(sam, "AWS::Serverless::Function").items():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "SQS":
                assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"], name
                assert event["Properties"]["BatchSize"] == 10, name
    mappings = of_type(cfn, "AWS::Lambda::EventSourceMapping")
    assert len(mappings) == len(SQS_FED)
    for mapping in mappings.values():
        assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_visibility_timeout_is_six_times_the_function_timeout(cfn: Template) -> None:
    for mapping in of_type(cfn, "AWS::Lambda::EventSourceMapping").values():
        function = mapping["Properties"]["FunctionName"]["Ref"]
        queue = get_att_target(mapping["Properties"]["EventSourceArn"])
        assert queue is not None
        timeout = int(props(cfn, function).get("Timeout", 3))
        visibility = int(props(cfn, queue).get("VisibilityTimeout", 30))
        assert visibility >= 6 * timeout, f"{queue} visibility {visibility}s < 6 x {function} timeout {timeout}s"


EXPECTED_RULES = {
    "TicketChangesRule": ({"TicketCreated", "TicketUpdated"}, "TriggerQueue"),
    "NotificationsRule": ({"NotificationRequested", "WebhookRequested"}, "NotifyQueue"),  # messaging false or absent
    "EmailRepliesRule": ({"ReplyPosted"}, "NotifyQueue"),  # detail.messaging false: email tickets
    "MessagingRepliesRule": ({"ReplyPosted", "NotificationRequested"}, "MessagingOutboundQueue"),  # messaging true
    "MessagingMediaRule": ({"MediaRequested"}, "MessagingMediaQueue"),
    "TicketSolvedRule": ({"TicketSolved"}, "SurveyQueue"),
}


def test_bus_rules_match_the_contract(cfn: Template) -> None:
    rules = {k: v for k, v in of_type(cfn, "AWS::Events::Rule").items() if "EventPattern" in v["Properties"]}
    assert set(rules) == set(EXPECTED_RULES)
    for name, (detail_types, queue) in EXPECTED_RULES.items():
        p = rules[name]["Properties"]
        assert p["EventBusName"] == {"Ref": "HelpdeskBus"}
        assert p["EventPattern"]["source"] == ["helpdesk"]
        assert set(p["EventPattern"]["detail-type"]) == detail_types
        assert [get_att_target(t["Arn"]) for t in p["Targets"]] == [queue]
    assert "HelpdeskBus" in of_type(cfn, "AWS::Events::EventBus")


def rule_delivery_problems(template: Template) -> list[str]:
    """Every pattern rule must target SQS queues whose queue policy lets that rule send."""
    queues = of_type(template, "AWS::SQS::Queue")
    allowed: set[tuple[str, str]] = set()  # (queue, rule)
    for policy in of_type(template, "AWS::SQS::QueuePolicy").values():
        targets = {q["Ref"] for q in policy["Properties"]["Queues"] if isinstance(q, dict) and "Ref" in q}
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if statement["Effect"] != "Allow" or "sqs:SendMessage" not in actions:
                continue
            if statement.get("Principal") != {"Service": "events.amazonaws.com"}:
                continue
            source = statement.get("Condition", {}).get("ArnEquals", {}).get("aws:SourceArn")
            sender = get_att_target(source)
            if sender:
                allowed.update((queue, sender) for queue in targets)
    problems = []
    for name, resource in of_type(template, "AWS::Events::Rule").items():
        if "EventPattern" not in resource["Properties"]:
            continue
        for target in resource["Properties"]["Targets"]:
            queue = get_att_target(target["Arn"])
            if queue not in queues:
                problems.append(f"{name} targets {target['Arn']}, not an SQS queue of the template")
            elif (queue, name) not in allowed:
                problems.append(f"{name} -> {queue} has no queue policy for the rule")
    return problems


def test_every_rule_targets_a_queue_that_lets_it_send(cfn: Template) -> None:
    assert rule_delivery_problems(cfn) == []


def test_rule_delivery_check_catches_a_missing_queue_policy(cfn: Template) -> None:
    broken = {"Resources": {k: v for k, v in cfn["Resources"].items() if k != "NotifyQueuePolicy"}}
    assert rule_delivery_problems(broken) == ["NotificationsRule -> NotifyQueue has no queue policy for the rule",
                                              "EmailRepliesRule -> NotifyQueue has no queue policy for the rule"]


def iam_statements(template: Template) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, resource in template["Resources"].items():
        p = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            for policy in p.get("Policies", []):
                for statement in policy["PolicyDocument"]["Statement"]:
                    yield name, statement
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for statement in p["PolicyDocument"]["Statement"]:
                yield name, statement


def wildcard_grants(template: Template) -> list[str]:
    problems = []
    for name, statement in iam_statements(template):
        if statement.get("Effect") != "Allow":
            continue
        resources = statement.get("Resource", [])
        resources = resources if isinstance(resources, list) else [resources]
        actions = statement.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        if "*" in resources:
            problems += [f"{name}: {a} on *" for a in actions if a not in UNSCOPABLE_ACTIONS]
    return problems


def test_no_policy_grants_scopable_actions_on_every_resource(cfn: Template) -> None:
    assert wildcard_grants(cfn) == []
    for name, role in of_type(cfn, "AWS::IAM::Role").items():
        assert set(role["Properties"].get("ManagedPolicyArns", [])) <= ALLOWED_MANAGED_POLICIES, name


def test_the_api_may_record_mailgun_tokens_in_the_directory(cfn: Template) -> None:
    """The Mailgun webhook remembers each token (a conditional PutItem of ``mgtoken#...``, a GetItem on reuse)."""
    import json

    role = cfn["Resources"]["ApiFunction"]["Properties"]["Role"]["Fn::GetAtt"][0]
    granted = set()
    for name, statement in iam_statements(cfn):
        if name == role and statement.get("Effect") == "Allow" and '"DirectoryTable"' in json.dumps(
                statement.get("Resource")):
            actions = statement.get("Action", [])
            granted |= set(actions if isinstance(actions, list) else [actions])
    assert {"dynamodb:PutItem", "dynamodb:GetItem"} <= granted


def test_wildcard_check_catches_a_broad_grant(cfn: Template) -> None:
    broken = {"Resources": dict(cfn["Resources"])}
    broken["Resources"]["Broad"] = {
        "Type": "AWS::IAM::Policy",
        "Properties": {
            "PolicyDocument": {
                "Statement": [{"Effect": "Allow", "Action": ["dynamodb:*", "xray:PutTraceSegments"], "Resource": "*"}]
            }
        },
    }
    assert wildcard_grants(broken) == ["Broad: dynamodb:* on *"]


def test_every_function_has_its_own_role(cfn: Template) -> None:
    roles = {get_att_target(props(cfn, f)["Role"]) for f in FUNCTIONS}
    assert len(roles) == len(FUNCTIONS)


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_code_directory_has_its_handler(sam: Template, function: str) -> None:
    p = props(sam, function)
    directory = repo_root() / p["CodeUri"]
    if not directory.is_dir():
        pytest.skip(f"{p['CodeUri']} does not exist yet (the handlers are written in parallel)")
    module = p["Handler"].rsplit(".", 1)[0]
    assert (directory / f"{module.replace('.', '/')}.py").is_file()


def schedules(template: Template, function: str) -> list[str]:
    events = props(template, function).get("Events", {}).values()
    return [e["Properties"]["Schedule"] for e in events if e["Type"] == "Schedule"]


def test_schedules(sam: Template, cfn: Template) -> None:
    assert schedules(sam, "SlaEscalationFunction") == ["rate(1 minute)"]
    assert schedules(sam, "CsatSurveyFunction") == ["rate(5 minutes)"]
    scheduled = {
        get_att_target(t["Arn"]): r["Properties"]["ScheduleExpression"]
        for r in of_type(cfn, "AWS::Events::Rule").values()
        if "ScheduleExpression" in r["Properties"]
        for t in r["Properties"]["Targets"]
    }
    assert scheduled == {"SlaEscalationFunction": "rate(1 minute)", "CsatSurveyFunction": "rate(5 minutes)",
                         "AutomationsFunction": "rate(1 hour)"}


def test_raw_mail_reaches_email_ingest(sam: Template) -> None:
    """SES stores the mail in S3 and notifies (with its verdicts) through SNS, subscribed by an SQS queue."""
    events = list(props(sam, "EmailIngestFunction")["Events"].values())
    assert len(events) == 1 and events[0]["Type"] == "SQS"
    assert events[0]["Properties"]["Queue"] == {"Fn::GetAtt": ["SesInboundQueue", "Arn"]}
    rule = sam["Resources"]["InboundReceiptRule"]
    assert rule["DependsOn"] == ["RawMailBucketPolicy", "SesInboundTopicPolicy"]
    actions = rule["Properties"]["Rule"]["Actions"]
    assert actions == [{"S3Action": {"BucketName": {"Ref": "RawMailBucket"}, "ObjectKeyPrefix": "inbound/ses/",
                                     "TopicArn": {"Ref": "SesInboundTopic"}}}]
    subscription = props(sam, "SesInboundSubscription")
    assert subscription["Protocol"] == "sqs"
    assert subscription["Endpoint"] == {"Fn::GetAtt": ["SesInboundQueue", "Arn"]}
    topic_policy = props(sam, "SesInboundTopicPolicy")["PolicyDocument"]["Statement"]
    assert all(s["Principal"] == {"Service": "ses.amazonaws.com"} and "Condition" in s for s in topic_policy)
    queue_policy = props(sam, "SesInboundQueuePolicy")["PolicyDocument"]["Statement"]
    assert queue_policy[0]["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Ref": "SesInboundTopic"}}}
    assert rule["Properties"]["Rule"]["ScanEnabled"] is True
    statements = props(sam, "RawMailBucketPolicy")["PolicyDocument"]["Statement"]
    ses = [s for s in statements if s.get("Principal") == {"Service": "ses.amazonaws.com"}]
    assert ses and all("aws:SourceAccount" in s["Condition"]["StringEquals"] for s in ses)


def test_survey_secret_is_generated(sam: Template) -> None:
    generate = props(sam, "SurveySigningSecret")["GenerateSecretString"]
    assert generate == {"PasswordLength": 48, "ExcludePunctuation": True}


# ---------------------------------------------------------------- API routes


def api_events(sam: Template) -> set[tuple[str, str]]:
    routes = set()
    for event in props(sam, "ApiFunction")["Events"].values():
        assert event["Type"] == "Api"
        assert event["Properties"]["RestApiId"] == {"Ref": "HelpdeskApi"}
        routes.add((event["Properties"]["Method"].upper(), event["Properties"]["Path"]))
    return routes


def test_api_events_match_the_route_contract(sam: Template) -> None:
    assert api_events(sam) == API_ROUTES
    binary = {t.replace("~1", "/") for t in props(sam, "HelpdeskApi")["BinaryMediaTypes"]}
    from helpdesk.api.app import RAW_MAIL, UPLOAD_TYPES

    bodies = {"message/rfc822", "multipart/form-data", *UPLOAD_TYPES, *RAW_MAIL} - {"text/plain", "text/csv"}
    uncovered = {t for t in bodies if t not in binary and f"{t.split('/')[0]}/*" not in binary}
    assert uncovered == set(), f"request bodies API Gateway would mangle as text: {uncovered}"


def test_api_events_match_chalice_routes(sam: Template) -> None:
    if importlib.util.find_spec("helpdesk.api.app") is None:
        pytest.skip("helpdesk.api.app does not exist yet (the lead writes the Chalice app)")
    module = importlib.import_module("helpdesk.api.app")
    app = getattr(module, "app", module)
    chalice_routes = {(method.upper(), path) for path, methods in app.routes.items() for method in methods}
    assert chalice_routes == api_events(sam)


# ---------------------------------------------------------------- event catalog


def test_event_catalog_documents_every_routed_detail_type(cfn: Template) -> None:
    catalog = (repo_root() / "infra" / "events.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^## (\w+)", catalog, flags=re.MULTILINE))
    routed = {
        detail_type
        for rule in of_type(cfn, "AWS::Events::Rule").values()
        for detail_type in rule["Properties"].get("EventPattern", {}).get("detail-type", [])
    }
    assert routed <= documented
    assert documented >= {
        "TicketCreated",
        "TicketUpdated",
        "ReplyPosted",
        "TicketSolved",
        "NotificationRequested",
        "SlaBreached",
        "SatisfactionRated",
        "SurveySent",
    }


# ---------------------------------------------------------------- messaging media


def test_the_media_function_may_do_only_what_fetching_media_needs(cfn: Template) -> None:
    """It reads the messaging provider secret, reads and conditionally updates comment items of the Activity table
    (their attachment states) and puts objects under attachments/: no ticket, no event, no other secret (its queue
    is read through the managed SQS execution policy every queue-fed function has)."""
    import json

    role = str(get_att_target(props(cfn, "MessagingMediaFunction")["Role"]))
    granted: set[tuple[str, str]] = set()
    for name, statement in iam_statements(cfn):
        if name != role or statement.get("Effect") != "Allow":
            continue
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for resource in resources:
            text = json.dumps(resource)
            target = next((known for known in ("ActivityTable", "MessagingProviderSecret", "/attachments/*")
                           if known in text), text)
            granted |= {(action, target) for action in actions}
    assert granted == {("dynamodb:GetItem", "ActivityTable"), ("dynamodb:UpdateItem", "ActivityTable"),
                       ("s3:PutObject", "/attachments/*"),
                       ("secretsmanager:GetSecretValue", "MessagingProviderSecret")}


def test_the_media_queue_retries_as_often_as_the_media_step_counts_attempts(cfn: Template) -> None:
    """The media step marks a download failed on its last attempt, the queue's last receive: a request still
    failing after that (its marking failed, it could not be read) is dead-lettered with the cause logged."""
    from helpdesk.services.messaging.fetch_media import ATTEMPTS

    queue = props(cfn, "MessagingMediaQueue")
    assert "FifoQueue" not in queue  # a standard queue: media of one conversation need no order
    assert queue["RedrivePolicy"]["maxReceiveCount"] == ATTEMPTS
    assert get_att_target(queue["RedrivePolicy"]["deadLetterTargetArn"]) == "MessagingMediaDeadLetterQueue"
    [statement] = props(cfn, "MessagingMediaQueuePolicy")["PolicyDocument"]["Statement"]
    assert get_att_target(statement["Condition"]["ArnEquals"]["aws:SourceArn"]) == "MessagingMediaRule"
