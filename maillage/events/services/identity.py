"""One organisation, one key: picked from the list or typed, in any case, with or without accents or "asbl".

The per-organisation caps count `Participant.organisation_key`. A picked organisation is `org:<id>`; a typed
name is normalised (case, accents, spacing, punctuation and legal-form words such as "asbl"/"vzw" dropped)
and, when it is the name of exactly one known organisation, becomes that organisation's key too — so
"Abbé Froidure" picked, "ABBE FROIDURE asbl" typed and "abbe froidure" typed are one organisation. A typed
name that fits several known organisations is refused with a question: which one?
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from maillage.core.models import Organisation

# The longest organisation name a person may type (the form field and the column allow this much).
NAME_MAX = 200

# Legal forms and their Dutch/French abbreviations: not part of who the organisation is.
LEGAL_FORMS = frozenset({"asbl", "vzw", "aisbl", "ivzw", "sprl", "srl", "bv", "sa", "nv", "scrl", "cvba", "sc", "cv"})

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalised_name(text: str) -> str:
    """'  A.S.B.L. Abbé-Froidure ' → 'abbe froidure' (no accents, case, punctuation or legal form)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    # "a.s.b.l." and "v.z.w." are one word once their dots are gone.
    plain = re.sub(r"(?<=\b[a-z])\.(?=[a-z]\b)", "", plain)
    words = _NOT_WORD.sub(" ", plain).split()
    while words and words[-1] in LEGAL_FORMS:
        words.pop()
    while words and words[0] in LEGAL_FORMS:
        words.pop(0)
    return " ".join(words)


@dataclass(frozen=True)
class Identity:
    """Who counts as one organisation: the key, and the known organisation a typed name was matched to."""

    key: str
    organisation: Organisation | None


def known_matches(name: str) -> list[Organisation]:
    """The known organisations whose short, French or Dutch name is `name` once normalised."""
    wanted = normalised_name(name)
    if not wanted:
        return []
    matching = [
        pk
        for pk, *names in Organisation.objects.values_list("pk", "short_name", "name_fr", "name_nl")
        if wanted in {normalised_name(each) for each in names if each}
    ]
    return list(Organisation.objects.filter(pk__in=matching).order_by("short_name"))


def identify(organisation: Organisation | None, organisation_name: str) -> Identity:
    """The key of a picked organisation, or of a typed name (matched to a known organisation when it is one).

    Raises a ValidationError on `organisation_name` for a name too long or of several known organisations.
    """
    if organisation is not None:
        return Identity(f"org:{organisation.pk}", organisation)
    if len(organisation_name) > NAME_MAX:
        raise ValidationError(
            {
                "organisation_name": _(
                    "An organisation name has at most %(count)d characters (this one has %(length)d)."
                )
                % {"count": NAME_MAX, "length": len(organisation_name)}
            }
        )
    matches = known_matches(organisation_name)
    if len(matches) > 1:
        raise ValidationError(
            {
                "organisation": _(
                    "Several organisations are called “%(name)s”: choose yours in the list (%(choices)s)."
                )
                % {
                    "name": organisation_name.strip(),
                    "choices": ", ".join(f"{o.short_name} — {o.name}" for o in matches),
                }
            }
        )
    if matches:
        return Identity(f"org:{matches[0].pk}", matches[0])
    return Identity("name:" + normalised_name(organisation_name), None)


def organisation_key(organisation: Organisation | None, organisation_name: str) -> str:
    """Who counts as one organisation for the caps (see `identify`)."""
    return identify(organisation, organisation_name).key
