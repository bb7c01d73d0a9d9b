"""SLA use cases: the every-minute sweep (``sweep.sweep_sla``: breaches, warnings, escalation levels), who its
mail goes to (``notices``), the people a policy filter reads (``people.sla_people``), policy reorder and filter
definitions (``policies``), and what the ticket API shows (``show``: ``include=slas``, metric events)."""
