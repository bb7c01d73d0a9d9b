"""SLA use cases: the every-minute sweep (``sweep.sweep_sla``), the people a policy filter reads
(``people.sla_people``), policy ordering and filter definitions (``policies``)."""
