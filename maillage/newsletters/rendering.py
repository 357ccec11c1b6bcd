"""An edition as an email: Markdown → sanitised HTML (nh3) and a plain-text part, no tracking pixel.

Only text formatting, links and lists survive: scripts, styles, images, iframes and event attributes
are removed, so an edition with a script in it is sent (and archived) without it.
"""

from __future__ import annotations

from functools import lru_cache

import markdown as markdown_lib
import nh3
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from maillage.newsletters.models import Edition, Subscriber

TAGS = {"p", "br", "strong", "em", "b", "i", "a", "ul", "ol", "li", "h2", "h3", "h4", "blockquote", "hr", "code", "pre"}
ATTRIBUTES = {"a": {"href", "title"}}


@lru_cache(maxsize=32)
def to_html(text: str) -> str:
    raw = markdown_lib.markdown(text or "", output_format="html")
    return nh3.clean(
        raw, tags=TAGS, attributes=ATTRIBUTES, url_schemes={"http", "https", "mailto"}, link_rel="noopener"
    )


@lru_cache(maxsize=32)
def to_text(text: str) -> str:
    """The plain-text part: the Markdown source without any HTML a writer may have typed."""
    return nh3.clean(text or "", tags=set()).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


def site_url(path: str) -> str:
    return str(getattr(settings, "SITE_URL", "") or "http://127.0.0.1:8000").rstrip("/") + path


def links(subscriber: Subscriber) -> dict[str, str]:
    return {
        "preferences": site_url(reverse("newsletters:preferences", args=[subscriber.token])),
        "unsubscribe": site_url(reverse("newsletters:unsubscribe", args=[subscriber.token])),
    }


def unsubscribe_headers(subscriber: Subscriber) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: a POST to this URL unsubscribes, no page, no confirmation."""
    return {
        "List-Unsubscribe": f"<{links(subscriber)['unsubscribe']}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def message_id_domain() -> str:
    return str(settings.DEFAULT_FROM_EMAIL or "").rsplit("@", 1)[-1].strip("> ") or "maillage.localhost"


def render_parts(edition: Edition, language: str, subscriber: Subscriber | None) -> tuple[str, str, str]:
    """(subject, text, html) of the edition in `language` for `subscriber` (None: a preview)."""
    context = {
        "edition": edition,
        "subject": edition.subject_in(language),
        "html_body": to_html(edition.body_in(language)),
        "text_body": to_text(edition.body_in(language)),
        "links": links(subscriber) if subscriber else {"preferences": "#", "unsubscribe": "#"},
        "archive": site_url(reverse("newsletters:archived_edition", args=[edition.pk])),
    }
    with translation.override(language):
        text = render_to_string("newsletters/emails/edition.txt", context)
        html = render_to_string("newsletters/emails/edition.html", context)
    return str(context["subject"]), text, html


def edition_message(edition: Edition, subscriber: Subscriber) -> EmailMultiAlternatives:
    subject, text, html = render_parts(edition, subscriber.language, subscriber)
    message = EmailMultiAlternatives(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [subscriber.email],
        headers={
            **unsubscribe_headers(subscriber),
            # The same Message-ID if it is ever sent again: the receiving side keeps one.
            "Message-ID": f"<edition-{edition.pk}-{subscriber.pk}@{message_id_domain()}>",
        },
    )
    message.attach_alternative(html, "text/html")
    return message
