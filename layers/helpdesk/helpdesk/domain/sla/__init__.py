"""SLA: policies (``policies``), the seven metrics' rules and due times (``metrics``), how a ticket shows them
(``view``). The names below are the package's interface."""

from helpdesk.domain.sla.metrics import (
    PAUSED_WHILE,
    MetricEvent,
    apply_sla,
    last_breach_at,
    measured_seconds,
    next_breach_at,
    next_due,
    record_breaches,
)
from helpdesk.domain.sla.policies import (
    MAX_TARGET_MINUTES,
    METRICS,
    MIN_TARGET_SECONDS,
    PolicyMetric,
    SlaPolicy,
    choose_policy,
    needs_people,
    reorder,
    schedule_for,
)
from helpdesk.domain.sla.view import describe, policy_metrics

__all__ = [
    "MAX_TARGET_MINUTES",
    "METRICS",
    "MIN_TARGET_SECONDS",
    "PAUSED_WHILE",
    "MetricEvent",
    "PolicyMetric",
    "SlaPolicy",
    "apply_sla",
    "choose_policy",
    "describe",
    "last_breach_at",
    "measured_seconds",
    "needs_people",
    "next_breach_at",
    "next_due",
    "policy_metrics",
    "record_breaches",
    "reorder",
    "schedule_for",
]
