"""The small rating page: works on a phone, no JavaScript, escaped text only."""

from __future__ import annotations

from html import escape

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
