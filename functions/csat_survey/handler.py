"""CsatSurveyFunction: schedules a survey when a ticket is solved (SQS) and sends the due ones (schedule)."""

from __future__ import annotations

from typing import Any

from helpdesk.entrypoints import bus_event, report_sweep_failures, sqs_batch
from helpdesk.observability import count, entrypoint, logger, ticket_context


def _one(body: dict[str, Any]) -> None:
    from helpdesk.bootstrap import container
    from helpdesk.services.surveys import schedule

    _, detail = bus_event(body)
    scheduled = schedule(container(), detail)
    logger().info("survey scheduled" if scheduled else "no survey to schedule")


@entrypoint("csat_survey")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if "Records" in event:
        return sqs_batch(event, context, _one)
    from helpdesk.bootstrap import container
    from helpdesk.services.surveys import send_due

    run = send_due(container())
    for survey in run.sent:
        with ticket_context(survey.ticket_id):
            logger().info("survey sent", extra={"recipient": survey.recipient})
    report_sweep_failures("survey", run.failures)
    count("SurveysSent", len(run.sent))
    return {"surveys_sent": [s.ticket_id for s in run.sent], "failed": [t for t, _ in run.failures.failed],
            "parked": run.failures.parked}
