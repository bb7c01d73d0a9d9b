"""CsatSurveyFunction: schedules a survey when a ticket is solved (SQS) and sends the due ones (schedule)."""

from __future__ import annotations

from typing import Any

from helpdesk.entrypoints import bus_event, sqs_batch
from helpdesk.observability import count, entrypoint


def _one(body: dict[str, Any]) -> None:
    from helpdesk.bootstrap import container
    from helpdesk.services.surveys import schedule

    _, detail = bus_event(body)
    schedule(container(), detail)


@entrypoint("csat_survey")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if "Records" in event:
        return sqs_batch(event, context, _one)
    from helpdesk.bootstrap import container
    from helpdesk.services.surveys import send_due

    sent = send_due(container())
    count("SurveysSent", len(sent))
    return {"surveys_sent": [s.ticket_id for s in sent]}
