"""Forms of the newsletters: subscription, preferences, import (checked row by row), editions."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.core.models import Organisation
from maillage.core.uploads import check_upload_size, csv_rows
from maillage.newsletters.models import Edition, NewsletterList, SubscriberLanguage
from maillage.newsletters.services import ImportRow

MAX_IMPORT_ROWS = 50_000


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email address"), max_length=254)
    language = forms.ChoiceField(
        label=gettext_lazy("Language"), choices=SubscriberLanguage.choices, widget=forms.RadioSelect
    )
    lists = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Newsletters"), queryset=NewsletterList.objects.all(), widget=forms.CheckboxSelectMultiple
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        language, lists = cleaned.get("language"), cleaned.get("lists") or []
        for item in lists:
            if language not in item.languages():
                self.add_error("lists", _("“%(list)s” is not written in the language you chose.") % {"list": item})
        return cleaned


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(
        label=gettext_lazy("Language"), choices=SubscriberLanguage.choices, widget=forms.RadioSelect
    )
    lists = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Newsletters"),
        queryset=NewsletterList.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    unsubscribe = forms.BooleanField(label=gettext_lazy("Unsubscribe from everything"), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("unsubscribe"):
            return cleaned
        language = cleaned.get("language")
        for item in cleaned.get("lists") or []:
            if language not in item.languages():
                self.add_error("lists", _("“%(list)s” is not written in the language you chose.") % {"list": item})
        return cleaned


class ListForm(forms.ModelForm):
    class Meta:
        model = NewsletterList
        fields = ["name_fr", "name_nl", "language"]


class EditionForm(forms.ModelForm):
    class Meta:
        model = Edition
        fields = ["newsletter", "subject_fr", "subject_nl", "body_fr", "body_nl"]
        widgets = {"body_fr": forms.Textarea(attrs={"rows": 10}), "body_nl": forms.Textarea(attrs={"rows": 10})}


class ScheduleForm(forms.Form):
    when = forms.DateTimeField(
        label=gettext_lazy("Send at"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=gettext_lazy("Empty: now."),
    )  # fmt: skip

    def clean_when(self) -> dt.datetime | None:
        when = self.cleaned_data.get("when")
        if when is not None and when < timezone.now() - dt.timedelta(minutes=5):
            raise ValidationError(_("This moment is in the past."))
        return when


class TestSendForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Send a test to"), max_length=254)
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=SubscriberLanguage.choices)


def _parse_consent_date(raw: str) -> dt.datetime | None:
    raw = raw.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M"):
        try:
            parsed = dt.datetime.strptime(raw, pattern)  # noqa: DTZ007 - made aware below
        except ValueError:
            continue
        if not 1990 <= parsed.year <= timezone.now().year:
            return None
        aware = timezone.make_aware(parsed)
        return None if aware > timezone.now() else aware
    return None


class ImportForm(forms.Form):
    """A CSV with a header: email, language, consent_date, and optionally consent_how, organisation.

    Every row is checked; with one bad row nothing is imported and every bad row is listed.
    """

    file = forms.FileField(label=gettext_lazy("CSV file"), help_text=gettext_lazy(
        "Columns: email; language (fr or nl); consent_date (2024-03-01); consent_how; organisation (short name)."
    ))  # fmt: skip

    def clean_file(self) -> Any:
        uploaded = self.cleaned_data["file"]
        check_upload_size(uploaded)
        return uploaded

    def check_rows(self) -> tuple[list[ImportRow], list[tuple[int, str]]]:
        uploaded = self.cleaned_data["file"]
        uploaded.seek(0)
        try:
            content = uploaded.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            return [], [(0, _("The file is not UTF-8 text."))]
        text = io.StringIO(content, newline="")
        sample = content[:4096]
        delimiter = ";" if sample.count(";") >= sample.count(",") else ","
        good: list[ImportRow] = []
        bad: list[tuple[int, str]] = []
        organisations = {o.short_name.lower(): o for o in Organisation.objects.all()}
        seen: dict[str, int] = {}
        try:
            rows = csv_rows(text, delimiter=delimiter)
            header = [cell.strip().lower() for cell in next(rows, [])]
            missing = {"email", "language", "consent_date"} - set(header)
            if missing:
                return [], [(1, _("Missing columns: %(names)s.") % {"names": ", ".join(sorted(missing))})]
            for number, row in enumerate(rows, start=2):
                if number > MAX_IMPORT_ROWS + 1:
                    bad.append((number, _("Too many rows (at most %(n)s).") % {"n": MAX_IMPORT_ROWS}))
                    break
                if not any(cell.strip() for cell in row):
                    continue
                values = dict(zip(header, [cell.strip() for cell in row], strict=False))
                problems = []
                email = values.get("email", "").lower()
                try:
                    validate_email(email)
                except ValidationError:
                    problems.append(_("“%(email)s” is not an email address.") % {"email": email[:100]})
                if email in seen:
                    problems.append(_("Already on line %(n)s.") % {"n": seen[email]})
                else:
                    seen[email] = number
                language = values.get("language", "").lower()
                if language not in SubscriberLanguage.values:
                    problems.append(_("Language must be fr or nl."))
                consent = _parse_consent_date(values.get("consent_date", ""))
                if consent is None:
                    problems.append(_("No valid consent date (a past date such as 2024-03-01)."))
                organisation = None
                if values.get("organisation"):
                    organisation = organisations.get(values["organisation"].lower())
                    if organisation is None:
                        problems.append(_("Unknown organisation “%(name)s”.") % {"name": values["organisation"][:60]})
                if problems:
                    bad.append((number, " ".join(problems)))
                else:
                    assert consent is not None
                    good.append(
                        ImportRow(number, email, language, organisation, consent, values.get("consent_how", "")[:100])
                    )
        except ValidationError as error:
            bad.append((0, " ".join(error.messages)))
        return good, bad
