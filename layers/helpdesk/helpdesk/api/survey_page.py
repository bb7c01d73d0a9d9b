"""The small rating page: works on a phone, no JavaScript, escaped text only; and reading what it posts."""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qsl

from helpdesk.domain.errors import InvalidInput
from helpdesk.domain.inputs import load_json

MAX_FORM_FIELDS = 20

_STYLE = ("body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}"
          "button{font-size:1.2rem;padding:.8rem 1.4rem;margin:.3rem}textarea{width:100%;min-height:6rem}")


def survey_page(ticket_id: int, subject: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>Rate request #{ticket_id}</title>'
        f"<style>{_STYLE}</style></head><body><h1>How did we do?</h1>"
        f"<p>Request #{ticket_id}: {escape(subject)}</p>"
        '<form method="post"><label for="c">Anything to add? (optional)</label>'
        '<textarea id="c" name="comment" maxlength="2000"></textarea>'
        '<button name="score" value="good">&#128077; Good</button>'
        '<button name="score" value="bad">&#128078; Bad</button></form></body></html>'
    )


def rated_page(ticket_id: int, score: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1"><title>Thank you</title>'
        f"<style>{_STYLE}</style></head><body><h1>Thank you</h1>"
        f"<p>Your rating of request #{ticket_id} ({escape(score)}) was recorded.</p></body></html>"
    )


def rating_form(raw: bytes | str, content_type: str) -> dict[str, str]:
    """The text fields of a rating: the page's url-encoded form, or a JSON object (also accepted under the
    form's content type, as ``curl -d '{...}'`` sends it). InvalidInput with the reason for anything else."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if content_type.startswith("application/json") or text.lstrip().startswith("{"):
        data = load_json(text, "the rating")
        if not isinstance(data, dict):
            raise InvalidInput("the rating must be a JSON object such as {\"score\": \"good\"}")
        return {key: value for key, value in data.items() if isinstance(value, str)}
    try:
        pairs = parse_qsl(text, max_num_fields=MAX_FORM_FIELDS)
    except ValueError as exc:
        raise InvalidInput(f"the rating form cannot be read: {exc}") from exc
    form: dict[str, str] = {}
    for key, value in pairs:
        form.setdefault(key, value)
    return form
