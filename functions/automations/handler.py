"""AutomationsFunction: every hour, runs the active automations over the tickets they could match."""

from __future__ import annotations

from typing import Any

from helpdesk.entrypoints import report_sweep_failures
from helpdesk.observability import count, entrypoint, logger, ticket_context


@entrypoint("automations")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from helpdesk.bootstrap import container
    from helpdesk.services.automations import run

    report = run(container())
    for automation_id, ticket_id in report.fired:
        with ticket_context(ticket_id):
            logger().info("automation fired", extra={"automation_id": automation_id})
    for ticket_id in report.closed:
        with ticket_context(ticket_id):
            logger().info("solved ticket closed")
    report_sweep_failures("automations", report.failures)
    count("AutomationsFired", len(report.fired))
    count("TicketsClosed", len(report.closed))
    count("AutomationTicketsRead", report.items_read)
    return report.to_json()
