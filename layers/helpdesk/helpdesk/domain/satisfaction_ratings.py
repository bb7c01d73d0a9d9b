"""A ticket's satisfaction rating as Zendesk's Satisfaction Ratings API lists it (pure)."""

from __future__ import annotations

from datetime import datetime

from helpdesk.domain.tickets import Ticket


def rating_time(ticket: Ticket) -> datetime | None:
    """When the rating was given, else when the survey was offered (by the survey sweep; a trigger's
    ``offered_to_requester`` records no time, so its ticket's last update); None for a ticket never offered one.
    What the ``by_rating`` index is keyed on and the listing sorts by."""
    sat = ticket.satisfaction
    if sat.score == "unoffered":
        return None
    return sat.rated_at or sat.offered_at or ticket.updated_at
