"""Inbound mail as each email provider delivers it, turned into one :class:`InboundDelivery`."""

from helpdesk.channels.email.providers.delivery import InboundDelivery
from helpdesk.channels.email.providers.formdata import FormValue, parse_form_data
from helpdesk.channels.email.providers.mailgun import mailgun_delivery, verify_mailgun
from helpdesk.channels.email.providers.postmark import postmark_delivery, verify_postmark
from helpdesk.channels.email.providers.rebuild import rebuild_mime
from helpdesk.channels.email.providers.sendgrid import sendgrid_delivery, verify_sendgrid
from helpdesk.channels.email.providers.ses import ses_delivery, sns_envelope_message

__all__ = [
    "FormValue",
    "InboundDelivery",
    "mailgun_delivery",
    "parse_form_data",
    "postmark_delivery",
    "rebuild_mime",
    "sendgrid_delivery",
    "ses_delivery",
    "sns_envelope_message",
    "verify_mailgun",
    "verify_postmark",
    "verify_sendgrid",
]
