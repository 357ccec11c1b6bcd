"""The audit log in words: an entry's dotted code and its data read as a sentence, in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import get_language, get_language_info, pgettext_lazy
from django.utils.translation import gettext as _

from maillage.core.models import Role

# The middle part of a code (`casework.person.read`): what the action was about.
OBJECTS = {
    "person": pgettext_lazy("audit log", "Person"),
    "casefile": pgettext_lazy("audit log", "Case file"),
    "followup": pgettext_lazy("audit log", "Follow-up"),
    "activity": pgettext_lazy("audit log", "Collective activity"),
    "import": pgettext_lazy("audit log", "Import"),
    "import_profile": pgettext_lazy("audit log", "Import profile"),
    "report": pgettext_lazy("audit log", "Saved report"),
    "session": pgettext_lazy("audit log", "Collective session"),
    "settings": pgettext_lazy("audit log", "Settings"),
    "worker_subsidy": pgettext_lazy("audit log", "Worker subsidy"),
    "account": pgettext_lazy("audit log", "Account"),
    "invitation": pgettext_lazy("audit log", "Invitation"),
    "membership": pgettext_lazy("audit log", "Role"),
    "closure": pgettext_lazy("audit log", "Closure"),
    "location": pgettext_lazy("audit log", "Address"),
    "organisation": pgettext_lazy("audit log", "Organisation"),
    "phone": pgettext_lazy("audit log", "Phone"),
    "schedule": pgettext_lazy("audit log", "Opening hours"),
    "service": pgettext_lazy("audit log", "Service"),
    "subscription": pgettext_lazy("audit log", "Subscription"),
    "worker": pgettext_lazy("audit log", "Worker"),
    "attendance": pgettext_lazy("audit log", "Attendance"),
    "breakout": pgettext_lazy("audit log", "Breakout group"),
    "event": pgettext_lazy("audit log", "Event"),
    "groups": pgettext_lazy("audit log", "Groups"),
    "invitations": pgettext_lazy("audit log", "Invitations"),
    "message": pgettext_lazy("audit log", "Message"),
    "notes": pgettext_lazy("audit log", "Rapporteur notes"),
    "questions": pgettext_lazy("audit log", "Questions"),
    "recommendation": pgettext_lazy("audit log", "Recommendation"),
    "registration": pgettext_lazy("audit log", "Registration"),
    "reminder": pgettext_lazy("audit log", "Reminder"),
    "synthesis": pgettext_lazy("audit log", "Synthesis"),
    "call": pgettext_lazy("audit log", "Call"),
    "callback": pgettext_lazy("audit log", "Call back"),
    "comments": pgettext_lazy("audit log", "Comments"),
    "debriefing": pgettext_lazy("audit log", "Debriefing"),
    "demo": pgettext_lazy("audit log", "Demo data"),
    "hours": pgettext_lazy("audit log", "Line hours"),
    "journal": pgettext_lazy("audit log", "Call journal"),
    "shift": pgettext_lazy("audit log", "Shift"),
    "weekly_note": pgettext_lazy("audit log", "Weekly note"),
    "crosstab": pgettext_lazy("audit log", "Cross-tab"),
    "category": pgettext_lazy("audit log", "Category"),
    "mapping": pgettext_lazy("audit log", "Category mapping"),
    "version": pgettext_lazy("audit log", "Category version"),
    # events (their translations are in the events app's catalogue)
    "book": pgettext_lazy("audit log", "Book of recommendations"),
    # sector (their translations are in the sector app's catalogue)
    "year": pgettext_lazy("audit log", "Data year"),
    "completeness": pgettext_lazy("audit log", "Completeness of the year"),
    "figures": pgettext_lazy("audit log", "Declared figures"),
    "comment": pgettext_lazy("audit log", "Meeting comment"),
    "sector_report": pgettext_lazy("audit log", "Sector report"),
    "annex": pgettext_lazy("audit log", "Annex link of the sector report"),
    "comparison": pgettext_lazy("audit log", "Centre against the sector"),
    # helpline (their translations are in the helpline app's catalogue)
    "reference": pgettext_lazy("audit log", "Caller reference"),
    "rota": pgettext_lazy("audit log", "Rota of the line"),
    # surveys and newsletters (their translations are in those apps' catalogues)
    "survey": pgettext_lazy("audit log", "Survey"),
    "question": pgettext_lazy("audit log", "Survey question"),
    "link": pgettext_lazy("audit log", "Survey link"),
    "response": pgettext_lazy("audit log", "Survey answers"),
    "wave": pgettext_lazy("audit log", "Survey wave"),
    "edition": pgettext_lazy("audit log", "Newsletter edition"),
    "subscribers": pgettext_lazy("audit log", "Newsletter subscribers"),
}
# The last part: what was done.
ACTIONS = {
    "created": pgettext_lazy("audit log", "created"),
    "updated": pgettext_lazy("audit log", "changed"),
    "changed": pgettext_lazy("audit log", "changed"),
    "closed": pgettext_lazy("audit log", "closed"),
    "opened": pgettext_lazy("audit log", "opened"),
    "read": pgettext_lazy("audit log", "read"),
    "reopened": pgettext_lazy("audit log", "reopened"),
    "workers_changed": pgettext_lazy("audit log", "workers in charge changed"),
    "done": pgettext_lazy("audit log", "finished"),
    "completed": pgettext_lazy("audit log", "finished"),
    "refused": pgettext_lazy("audit log", "refused"),
    "restarted": pgettext_lazy("audit log", "started again"),
    "started": pgettext_lazy("audit log", "started"),
    "saved": pgettext_lazy("audit log", "saved"),
    "erased": pgettext_lazy("audit log", "erased"),
    "retention_erased": pgettext_lazy("audit log", "erased at the end of retention"),
    "deleted": pgettext_lazy("audit log", "deleted"),
    "recorded": pgettext_lazy("audit log", "recorded"),
    "created_from_invitation": pgettext_lazy("audit log", "created from an invitation"),
    "accepted": pgettext_lazy("audit log", "accepted"),
    "refused_mismatch": pgettext_lazy("audit log", "refused: another email address"),
    "revoked": pgettext_lazy("audit log", "withdrawn"),
    "change_refused": pgettext_lazy("audit log", "change refused"),
    "emergency_granted": pgettext_lazy("audit log", "emergency access granted"),
    "emergency_refused": pgettext_lazy("audit log", "emergency access refused"),
    "grant_refused": pgettext_lazy("audit log", "grant refused"),
    "granted": pgettext_lazy("audit log", "granted"),
    "removed": pgettext_lazy("audit log", "removed"),
    "added": pgettext_lazy("audit log", "added"),
    "status_changed": pgettext_lazy("audit log", "status changed"),
    "verified": pgettext_lazy("audit log", "confirmed up to date"),
    "checked_in": pgettext_lazy("audit log", "checked in"),
    "changed_in_admin": pgettext_lazy("audit log", "changed in the admin"),
    "deleted_in_admin": pgettext_lazy("audit log", "deleted in the admin"),
    "placed": pgettext_lazy("audit log", "placed in groups"),
    "sent": pgettext_lazy("audit log", "sent"),
    "edited": pgettext_lazy("audit log", "edited"),
    "merged": pgettext_lazy("audit log", "points merged"),
    "split": pgettext_lazy("audit log", "point split"),
    "approved": pgettext_lazy("audit log", "approved"),
    "cancelled": pgettext_lazy("audit log", "cancelled"),
    "email_confirmed": pgettext_lazy("audit log", "email confirmed"),
    "expired": pgettext_lazy("audit log", "expired"),
    "invited": pgettext_lazy("audit log", "invited"),
    "moved": pgettext_lazy("audit log", "moved"),
    "offer_accepted": pgettext_lazy("audit log", "offered seat accepted"),
    "offered": pgettext_lazy("audit log", "seat offered"),
    "repeated": pgettext_lazy("audit log", "registered again"),
    "corrected": pgettext_lazy("audit log", "corrected"),
    "logged": pgettext_lazy("audit log", "logged"),
    "purged": pgettext_lazy("audit log", "erased (retention)"),
    "loaded": pgettext_lazy("audit log", "loaded"),
    "set": pgettext_lazy("audit log", "set"),
    "imported": pgettext_lazy("audit log", "imported"),
    "uploaded": pgettext_lazy("audit log", "uploaded"),
    "written": pgettext_lazy("audit log", "written"),
    "exported": pgettext_lazy("audit log", "exported"),
    "discarded": pgettext_lazy("audit log", "discarded"),
    "published": pgettext_lazy("audit log", "published"),
    "followed": pgettext_lazy("audit log", "followed up"),
    "scheduled": pgettext_lazy("audit log", "scheduled"),
    "absent": pgettext_lazy("audit log", "told after an absence"),
    "declared": pgettext_lazy("audit log", "declared complete"),
    # helpline (their translations are in the helpline app's catalogue)
    "given": pgettext_lazy("audit log", "given"),
    "special_day": pgettext_lazy("audit log", "special day set"),
    "special_day_removed": pgettext_lazy("audit log", "special day removed"),
    "generated": pgettext_lazy("audit log", "slots generated"),
    "slot_added": pgettext_lazy("audit log", "slot added"),
    "committed": pgettext_lazy("audit log", "service committed to a slot"),
    "released": pgettext_lazy("audit log", "slot released"),
    "taken": pgettext_lazy("audit log", "slot taken"),
    "change_requested": pgettext_lazy("audit log", "swap or cover asked"),
    "change_answered": pgettext_lazy("audit log", "swap or cover answered"),
    "feed_created": pgettext_lazy("audit log", "calendar feed created"),
    "feed_revoked": pgettext_lazy("audit log", "calendar feed revoked"),
    "slots_removed": pgettext_lazy("audit log", "open slots removed (hours changed)"),
    "slot_cancelled": pgettext_lazy("audit log", "slot cancelled (hours changed)"),
    "day_filled": pgettext_lazy("audit log", "missing slots of a day added"),
    # newsletters (their translations are in the newsletters app's catalogue)
    "test_sent": pgettext_lazy("audit log", "test sent"),
    "unscheduled": pgettext_lazy("audit log", "sending cancelled"),
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
