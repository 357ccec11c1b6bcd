"""The audit log in words: an entry's dotted code and its data read as a sentence, in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from maillage.core.models import Role

# The middle part of a code (`casework.person.read`): what the action was about.
OBJECTS = {
    "person": _lazy("Person"),
    "casefile": _lazy("Case file"),
    "followup": _lazy("Follow-up"),
    "activity": _lazy("Collective activity"),
    "import": _lazy("Import"),
    "import_profile": _lazy("Import profile"),
    "report": _lazy("Saved report"),
    "session": _lazy("Collective session"),
    "settings": _lazy("Settings"),
    "worker_subsidy": _lazy("Worker subsidy"),
    "account": _lazy("Account"),
    "invitation": _lazy("Invitation"),
    "membership": _lazy("Role"),
    "closure": _lazy("Closure"),
    "location": _lazy("Address"),
    "organisation": _lazy("Organisation"),
    "phone": _lazy("Phone"),
    "schedule": _lazy("Opening hours"),
    "service": _lazy("Service"),
    "subscription": _lazy("Subscription"),
    "worker": _lazy("Worker"),
    "attendance": _lazy("Attendance"),
    "breakout": _lazy("Breakout group"),
    "event": _lazy("Event"),
    "groups": _lazy("Groups"),
    "invitations": _lazy("Invitations"),
    "message": _lazy("Message"),
    "notes": _lazy("Rapporteur notes"),
    "questions": _lazy("Questions"),
    "recommendation": _lazy("Recommendation"),
    "registration": _lazy("Registration"),
    "reminder": _lazy("Reminder"),
    "synthesis": _lazy("Synthesis"),
    "call": _lazy("Call"),
    "callback": _lazy("Call back"),
    "comments": _lazy("Comments"),
    "debriefing": _lazy("Debriefing"),
    "demo": _lazy("Demo data"),
    "hours": _lazy("Line hours"),
    "journal": _lazy("Call journal"),
    "shift": _lazy("Shift"),
    "weekly_note": _lazy("Weekly note"),
    "crosstab": _lazy("Cross-tab"),
    "category": _lazy("Category"),
    "mapping": _lazy("Category mapping"),
    "version": _lazy("Category version"),
}
# The last part: what was done.
ACTIONS = {
    "created": _lazy("created"),
    "updated": _lazy("changed"),
    "changed": _lazy("changed"),
    "closed": _lazy("closed"),
    "opened": _lazy("opened"),
    "read": _lazy("read"),
    "reopened": _lazy("reopened"),
    "workers_changed": _lazy("workers in charge changed"),
    "done": _lazy("finished"),
    "completed": _lazy("finished"),
    "refused": _lazy("refused"),
    "restarted": _lazy("started again"),
    "started": _lazy("started"),
    "saved": _lazy("saved"),
    "erased": _lazy("erased"),
    "retention_erased": _lazy("erased at the end of retention"),
    "deleted": _lazy("deleted"),
    "recorded": _lazy("recorded"),
    "created_from_invitation": _lazy("created from an invitation"),
    "accepted": _lazy("accepted"),
    "refused_mismatch": _lazy("refused: another email address"),
    "revoked": _lazy("withdrawn"),
    "change_refused": _lazy("change refused"),
    "emergency_granted": _lazy("emergency access granted"),
    "emergency_refused": _lazy("emergency access refused"),
    "grant_refused": _lazy("grant refused"),
    "granted": _lazy("granted"),
    "removed": _lazy("removed"),
    "added": _lazy("added"),
    "status_changed": _lazy("status changed"),
    "verified": _lazy("confirmed up to date"),
    "checked_in": _lazy("checked in"),
    "changed_in_admin": _lazy("changed in the admin"),
    "deleted_in_admin": _lazy("deleted in the admin"),
    "placed": _lazy("placed in groups"),
    "sent": _lazy("sent"),
    "edited": _lazy("edited"),
    "merged": _lazy("points merged"),
    "split": _lazy("point split"),
    "approved": _lazy("approved"),
    "cancelled": _lazy("cancelled"),
    "email_confirmed": _lazy("email confirmed"),
    "expired": _lazy("expired"),
    "invited": _lazy("invited"),
    "moved": _lazy("moved"),
    "offer_accepted": _lazy("offered seat accepted"),
    "offered": _lazy("seat offered"),
    "repeated": _lazy("registered again"),
    "corrected": _lazy("corrected"),
    "logged": _lazy("logged"),
    "purged": _lazy("erased (retention)"),
    "loaded": _lazy("loaded"),
    "set": _lazy("set"),
    "imported": _lazy("imported"),
    "uploaded": _lazy("uploaded"),
    "written": _lazy("written"),
    "exported": _lazy("exported"),
    "discarded": _lazy("discarded"),
    "published": _lazy("published"),
}


def _words(part: str) -> str:
    return part.replace("_", " ")


def describe_code(code: str) -> str:
    """`casework.person.read` → "Person — read" (translated); an unknown part reads as its words."""
    parts = code.split(".")
    thing = parts[-2] if len(parts) >= 2 else parts[0]
    action = parts[-1]
    return _("%(object)s — %(action)s") % {
        "object": OBJECTS.get(thing, _words(thing).capitalize()),
        "action": ACTIONS.get(action, _words(action)),
    }


_LANGUAGE_KEYS = {"language", "languages"}


def language_name(code: str) -> str:
    """ "ar" → "arabe" in French, "Arabisch" in Dutch; an unknown code stays as it is."""
    try:
        name = str(get_language_info(code)["name_translated"])
    except KeyError:
        return code
    # French writes language names in lower case ("arabe, français"); Django's catalogue capitalises them.
    return name[:1].lower() + name[1:] if (get_language() or "").startswith("fr") else name


def describe_value(key: str, value: Any) -> str:
    """A readable value: yes/no, lists joined, role and language names instead of codes."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key in _LANGUAGE_KEYS:
        codes = value if isinstance(value, list | tuple) else [value]
        return ", ".join(language_name(str(code)) for code in codes)
    if key == "role" and value in Role.values:
        return str(Role(value).label)
    if isinstance(value, list | tuple):
        return ", ".join(describe_value(key, item) for item in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{_words(str(k))}: {describe_value(str(k), v)}" for k, v in value.items())
    return str(value)


def describe_data(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs for the Details column."""
    return [(_words(str(key)), describe_value(str(key), value)) for key, value in data.items()]
