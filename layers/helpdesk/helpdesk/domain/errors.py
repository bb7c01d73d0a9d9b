"""Typed errors of the help desk. Mapped to HTTP codes in exactly one place (helpdesk.api.errors)."""

from __future__ import annotations


class HelpdeskError(Exception):
    """Base of every error the product raises on purpose."""


class InvalidInput(HelpdeskError):
    """A request or payload that cannot be accepted as it is (HTTP 400 / dead letter)."""


class InvalidRule(InvalidInput):
    """A trigger, automation or SLA policy whose definition is not valid."""


class InvalidRecord(InvalidInput):
    """A record the API was asked to save that fails validation or collides with another (HTTP 422)."""


class EmailTaken(InvalidRecord):
    """Another user already has this email address."""


class IdentityTaken(InvalidRecord):
    """Another user already has this identity (a phone number, a messaging id)."""


class NotAuthenticated(HelpdeskError):
    """No credentials, or credentials that do not match (HTTP 401)."""


class Forbidden(HelpdeskError):
    """Authenticated, but the role does not allow the action (HTTP 403)."""


class InvalidSignature(NotAuthenticated):
    """A webhook or survey link whose signature does not verify."""


class VisitorTokenRejected(NotAuthenticated):
    """A web chat visitor's token that is missing, malformed, forged, signed with another key or expired (HTTP 401,
    with the reason: the widget then starts a new visitor)."""


class ReplayedRequest(HelpdeskError):
    """A signed webhook whose one-time token already came with other content (HTTP 406: do not retry)."""


class NotFound(HelpdeskError):
    """The thing asked for does not exist (HTTP 404)."""


class TicketNotFound(NotFound):
    pass


class UserNotFound(NotFound):
    pass


class CommentNotFound(NotFound):
    pass


class Gone(HelpdeskError):
    """A one-time link already used or expired (HTTP 410)."""


class ConcurrentUpdate(HelpdeskError):
    """Optimistic locking lost the race too many times (HTTP 409); the caller may retry."""


class UpdateConflict(ConcurrentUpdate):
    """A safe update (Zendesk's ``safe_update``) of a ticket that changed since the client read it (HTTP 409);
    never retried: the client asked to hear about it."""


class TagsUnchanged(InvalidInput):
    """An update that only adds tags the ticket has or removes tags it lacks (``additional_tags``,
    ``remove_tags``). Zendesk answers it with the ticket as it is, and so does the API; anywhere else it is the
    400 of an update that changes nothing."""


class InvalidTransition(InvalidInput):
    """A status change the ticket model forbids (for example leaving closed, or back to new)."""


class ContentTooLarge(InvalidInput):
    """Something to store or send that stays over its size limit even with its texts kept out of line
    (HTTP 413 / dead letter)."""


class Unavailable(HelpdeskError):
    """What the request needs could not be reached (a queue, a store): HTTP 503, try again."""
