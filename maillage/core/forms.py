from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from maillage.core.models import Language, Role, User
from maillage.core.parsing import BoundedModelChoiceField


def add_service_error(form: forms.Form, error: forms.ValidationError) -> None:
    """Show a service's ValidationError next to its field (or above the form if it names none)."""
    if hasattr(error, "error_dict"):
        for field, field_errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error)


# Roles a coordinator may hand out in their own organisation.
INVITABLE_ROLES = [Role.WORKER, Role.COORDINATOR, Role.RESPONDER, Role.ORGANISER]


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"), choices=[(role.value, role.label) for role in INVITABLE_ROLES])
    language = forms.ChoiceField(label=_("Language of the invitation"), choices=Language.choices)


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Your full name"), max_length=150)
    password = forms.CharField(label=_("Choose a password"), widget=forms.PasswordInput, strip=False)
    password_again = forms.CharField(label=_("The same password again"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        if password and password != cleaned.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        elif password:
            try:
                password_validation.validate_password(
                    password, User(email=self.email, full_name=cleaned.get("full_name", ""))
                )
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class AuditFilterForm(forms.Form):
    actor = BoundedModelChoiceField(label=_("Person"), queryset=User.objects.none(), required=False)
    code = forms.CharField(label=_("Action starts with"), required=False, max_length=100)
    target = forms.CharField(label=_("Object (type or id)"), required=False, max_length=100)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = people  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period comes before its start."))
        return cleaned
