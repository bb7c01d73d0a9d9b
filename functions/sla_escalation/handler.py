"""SlaEscalationFunction: every minute, records due SLA breaches once and escalates them."""

from __future__ import annotations

from typing import Any

from helpdesk.entrypoints import report_sweep_failures
from helpdesk.observability import count, entrypoint, logger, ticket_context


@entrypoint("sla_escalation")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from helpdesk.bootstrap import container
    from helpdesk.services.sla.sweep import sweep

    report = sweep(container())
    for ticket_id, metric in report.breaches:
        with ticket_context(ticket_id):
            logger().warning("SLA breach recorded and escalated", extra={"metric": metric})
    report_sweep_failures("sla", report.failures)
    count("SlaBreaches", len(report.breaches))
    count("SlaTicketsRead", report.read)
    return {"read": report.read, "breaches": [{"ticket_id": t, "metric": m} for t, m in report.breaches],
            "failed": [t for t, _ in report.failures.failed], "parked": report.failures.parked}
