"""Error pages people can read: translated, with a way back, never a traceback.

Wired as `handler400/403/404/500` in maillage/urls.py. 400, 403 and 404 use the site's layout;
should that layout itself fail (the database is down, say), they fall back to the standalone
500.html, which renders with no context processor, no database and no URL reversing.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

logger = logging.getLogger(__name__)


def back_url(request: HttpRequest) -> str:
    """The page the person came from, when it is one of ours and not this very page; else ''."""
    referer = request.META.get("HTTP_REFERER", "")
    if not referer or len(referer) > 2000:
        return ""
    if not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    if referer.endswith(request.get_full_path()):
        return ""
    return referer


def _safe_back_url(request: HttpRequest) -> str:
    try:
        return back_url(request)
    except Exception:  # a disallowed Host header raises here; the page must still render
        return ""


def render_error(
    request: HttpRequest, status: int, template_name: str, context: dict[str, Any] | None = None
) -> HttpResponse:
    """Render an error page in the site's layout, or the standalone page if the layout fails."""
    context = {"back_url": _safe_back_url(request), **(context or {})}
    try:
        body = loader.get_template(template_name).render(context, request)
    except Exception:
        logger.exception("The %s page could not render in the site's layout", status)
        titles = {
            400: _("The request could not be used"),
            403: _("Access denied"),
            404: pgettext("error page", "Page not found"),
        }
        error = context.get("error")
        message = getattr(error, "message", "") or _("Go back, or start again from the home page.")
        body = loader.get_template("500.html").render({**context, "title": titles.get(status, ""), "message": message})
    return HttpResponse(body, status=status)


def bad_request_page(request: HttpRequest, exception: Exception, template_name: str = "400.html") -> HttpResponse:
    # Only our own BadParameter carries a message meant for people; other exceptions stay unsaid.
    return render_error(request, 400, template_name, {"error": exception if hasattr(exception, "message") else None})


def permission_denied_page(request: HttpRequest, exception: Exception, template_name: str = "403.html") -> HttpResponse:
    return render_error(request, 403, template_name)


def page_not_found_page(request: HttpRequest, exception: Exception, template_name: str = "404.html") -> HttpResponse:
    return render_error(request, 404, template_name)


def server_error_page(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """No request context at all: whatever broke the page may break a context processor too."""
    return HttpResponse(loader.get_template(template_name).render({"back_url": _safe_back_url(request)}), status=500)
