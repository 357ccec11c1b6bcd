"""The indicators a centre reads against the sector: a measure, by one variable (or none, the total)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from maillage.casework.models import ActionKind

# Groups, in the order the page shows them.
ACTIVITY, REQUESTS, PROFILE, CONTACT = "activity", "requests", "profile", "contact"
GROUP_LABELS = {
    ACTIVITY: _("Activity"),
    REQUESTS: _("Requests by category"),
    PROFILE: _("The public's profile"),
    CONTACT: _("Contact, actions and referrals"),
}
# Special variables, counted here rather than by the cross-tab engine.
ACTIONS, REFERRAL = "actions", "referral"


@dataclass(frozen=True)
class Indicator:
    code: str
    label: Any
    group: str
    measure: str  # a cross-tab measure: persons, case_files, followups, requests
    variable: str | None  # a cross-tab dimension, ACTIONS, REFERRAL, or None for the total

    @property
    def is_total(self) -> bool:
        return self.variable is None


INDICATORS: dict[str, Indicator] = {
    i.code: i
    for i in [
        Indicator("persons", _("Persons"), ACTIVITY, "persons", None),
        Indicator("case_files", _("Case files"), ACTIVITY, "case_files", None),
        Indicator("followups", _("Follow-ups"), ACTIVITY, "followups", None),
        Indicator("requests", _("Requests"), ACTIVITY, "requests", None),
        Indicator("requests.theme1", _("Requests by theme (level 1)"), REQUESTS, "requests", "theme1"),
        Indicator("requests.theme2", _("Requests by theme (level 2)"), REQUESTS, "requests", "theme2"),
        Indicator(
            "requests.institution1", _("Requests by institution (level 1)"), REQUESTS, "requests", "institution1"
        ),
        Indicator(
            "requests.institution2", _("Requests by institution (level 2)"), REQUESTS, "requests", "institution2"
        ),
        Indicator("requests.stage1", _("Requests by stage (level 1)"), REQUESTS, "requests", "stage1"),
        Indicator("requests.stage2", _("Requests by stage (level 2)"), REQUESTS, "requests", "stage2"),
        Indicator("persons.age_band", _("Persons by age band"), PROFILE, "persons", "age_band"),
        Indicator("persons.sex", _("Persons by sex / gender"), PROFILE, "persons", "sex"),
        Indicator("persons.household", _("Persons by household type"), PROFILE, "persons", "household"),
        Indicator("persons.income_source", _("Persons by main income source"), PROFILE, "persons", "income_source"),
        Indicator("persons.commune", _("Persons by commune"), PROFILE, "persons", "commune"),
        Indicator("followups.mode", _("Follow-ups by mode of contact"), CONTACT, "followups", "mode"),
        Indicator("followups.actions", _("Follow-ups by action taken"), CONTACT, "followups", ACTIONS),
        Indicator("followups.referral", _("Follow-ups with a referral"), CONTACT, "followups", REFERRAL),
    ]
}
ACTION_LABELS = dict(ActionKind.choices)
REFERRAL_LABELS = {"yes": _("Referred to another service"), "no": _("Not referred")}
# Variables whose "not known" share the completeness page reports.
UNKNOWN_VALUES = {
    "persons.age_band": "unknown",
    "persons.sex": "u",
    "persons.household": "unknown",
    "persons.income_source": "unknown",
    "persons.commune": "",
}


def indicator_choices() -> list[tuple[str, Any]]:
    return [(code, indicator.label) for code, indicator in INDICATORS.items()]
