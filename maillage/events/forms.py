from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from maillage.core.geography import resolve_postal_code
from maillage.core.models import Organisation, Sector
from maillage.core.parsing import (
    MAX_ID,
    BoundedModelChoiceField,
    BoundedModelMultipleChoiceField,
    bounded_year,
    no_control_characters,
)
from maillage.events.models import (
    Audience,
    Breakout,
    Event,
    FollowStatus,
    Group,
    NotePoint,
    Question,
    Recommendation,
    Session,
    Theme,
)
from maillage.events.services import RegistrationData

# A free text (description, notes, message) longer than this is a paste gone wrong, not a text.
TEXT_MAX = 10_000


def bound_fields(form: forms.BaseForm) -> None:
    """Every text field refuses control characters and has a maximum length; numbers fit a column; years 1900–2100."""
    for field in form.fields.values():
        if isinstance(field, forms.CharField):
            field.validators.append(no_control_characters)
            if field.max_length is None:
                field.max_length = TEXT_MAX
                field.validators.append(MaxLengthValidator(TEXT_MAX))
                field.widget.attrs.setdefault("maxlength", str(TEXT_MAX))
        elif isinstance(field, forms.IntegerField):
            field.validators.append(MaxValueValidator(MAX_ID))
        elif isinstance(field, forms.DateTimeField | forms.DateField):
            field.validators.append(bounded_year)


class BoundedForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bound_fields(self)


class BoundedModelForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bound_fields(self)


def _queryset(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    """The model choice field `name`, to narrow its queryset to one event."""
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


def _datetime_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class RegistrationForm(BoundedForm):
    full_name = forms.CharField(
        label=_("Your full name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label=_("Your email address"),
        error_messages={"invalid": _("This is not an email address, e.g. name@example.org.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    organisation = BoundedModelChoiceField(
        label=_("Your organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("Not in the list"),
    )
    organisation_name = forms.CharField(
        label=_("Organisation (if not in the list)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    function = forms.CharField(label=_("Your function"), max_length=150, required=False)
    sector = forms.ChoiceField(label=_("Your sector"), choices=[("", "—"), *Sector.choices], required=False)
    frontline = forms.BooleanField(label=_("I work on the front line"), required=False)
    themes = BoundedModelMultipleChoiceField(
        label=_("Themes"),
        queryset=Theme.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Following a whole theme is recommended; you may choose several."),
    )
    preferred_group = BoundedModelChoiceField(
        label=_("Preferred group"), queryset=Group.objects.none(), required=False, empty_label=_("No preference")
    )
    commitment = forms.BooleanField(label=_("I commit to take part in the whole cycle"), required=False)
    accessibility_needs = forms.CharField(
        label=_("Accessibility needs"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=1000
    )

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event = event
        organisations = Organisation.objects.order_by("short_name")
        if event.audience == Audience.MEMBERS:
            organisations = organisations.filter(is_member=True)
            self.fields["organisation"].required = True
            del self.fields["organisation_name"]
        _queryset(self, "organisation").queryset = organisations
        if not event.ask_function:
            del self.fields["function"]
        if not event.ask_sector and not event.audience_sector:
            del self.fields["sector"]
        if not event.ask_accessibility:
            del self.fields["accessibility_needs"]
        if event.audience != Audience.FRONTLINE:
            del self.fields["frontline"]
        else:
            self.fields["frontline"].required = True
        if event.has_themes:
            _queryset(self, "themes").queryset = event.themes.all()
            self.fields["themes"].required = True
        else:
            del self.fields["themes"]
        if event.has_groups:
            _queryset(self, "preferred_group").queryset = event.groups.all()
            self.fields["commitment"].required = True
        else:
            del self.fields["preferred_group"]
            del self.fields["commitment"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (
            "organisation_name" in self.fields
            and not cleaned.get("organisation")
            and not cleaned.get("organisation_name")
        ):
            self.add_error("organisation_name", _("Choose your organisation in the list or type its name."))
        return cleaned

    def to_data(self) -> RegistrationData:
        cleaned = self.cleaned_data
        return RegistrationData(
            full_name=cleaned["full_name"],
            email=cleaned["email"],
            language=(get_language() or "fr")[:2],
            organisation=cleaned.get("organisation"),
            organisation_name=cleaned.get("organisation_name", ""),
            function=cleaned.get("function", ""),
            sector=cleaned.get("sector", ""),
            accessibility_needs=cleaned.get("accessibility_needs", ""),
            themes=list(cleaned.get("themes") or []),
            preferred_group=cleaned.get("preferred_group"),
            frontline=bool(cleaned.get("frontline")),
        )


class CheckInCodeForm(BoundedForm):
    code = forms.CharField(label=_("Invitation code (scan the QR code)"), max_length=500)


class MessageForm(BoundedForm):
    audience = forms.ChoiceField(label=_("To"))
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 8}))
    send_at = forms.DateTimeField(
        label=_("Send on"),
        required=False,
        widget=_datetime_widget(),
        help_text=_(
            "Empty: send now. Otherwise the message leaves at this date and time, to the people confirmed then."
        ),
    )

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event = event
        choices: list[tuple[str, str]] = [("event", str(_("Every confirmed participant")))]
        choices += [(f"group-{group.pk}", str(group)) for group in event.groups.all()]
        choices += [
            (f"session-{session.pk}", str(session)) for session in event.sessions.select_related("theme", "group")
        ]
        cast(forms.ChoiceField, self.fields["audience"]).choices = choices

    def clean_send_at(self) -> Any:
        send_at = self.cleaned_data.get("send_at")
        if send_at is not None and send_at <= timezone.now():
            raise forms.ValidationError(_("Choose a date and time in the future."))
        return send_at

    def target(self) -> dict[str, Any]:
        kind, _sep, pk = self.cleaned_data["audience"].partition("-")
        if kind == "group":
            return {"group": self.event.groups.get(pk=pk)}
        if kind == "session":
            return {"session": self.event.sessions.get(pk=pk)}
        return {}


class MoveForm(BoundedForm):
    group = BoundedModelChoiceField(
        label=_("Group"), queryset=Group.objects.none(), required=False, empty_label=_("No group")
    )

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "group").queryset = event.groups.all()


class BreakoutForm(BoundedModelForm):
    class Meta:
        model = Breakout
        fields = ("name", "rapporteur", "theme")

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "theme").queryset = event.themes.all()


class PointsForm(BoundedForm):
    breakout = BoundedModelChoiceField(label=_("Group"), queryset=Breakout.objects.none())
    question = BoundedModelChoiceField(label=_("Question"), queryset=Question.objects.none())
    text = forms.CharField(
        label=_("Points, one per line"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Each line becomes a bullet point."),
    )

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "breakout").queryset = event.breakouts.all()
        _queryset(self, "question").queryset = event.questions.all()


class RapporteurForm(BoundedForm):
    question = BoundedModelChoiceField(label=_("Question"), queryset=Question.objects.none())
    text = forms.CharField(
        label=_("Points, one per line"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Each line becomes a bullet point."),
    )

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "question").queryset = event.questions.all()


class MergeForm(BoundedForm):
    points = BoundedModelMultipleChoiceField(queryset=NotePoint.objects.none(), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "points").queryset = NotePoint.objects.filter(breakout__event=event).select_related("breakout")

    def clean_points(self) -> list[NotePoint]:
        points = sorted(self.cleaned_data["points"], key=lambda point: point.pk)
        if len(points) < 2:
            raise forms.ValidationError(_("Tick at least two points to merge."))
        return points


class SynthesisEditForm(BoundedForm):
    text = forms.CharField(
        label=_("Wording in the synthesis"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class RecommendationForm(BoundedModelForm):
    class Meta:
        model = Recommendation
        fields = ("theme", "position", "diagnosis", "recommendation", "implementation", "addressed_to", "sources")
        widgets = {
            "diagnosis": forms.Textarea(attrs={"rows": 3}),
            "recommendation": forms.Textarea(attrs={"rows": 3}),
            "implementation": forms.Textarea(attrs={"rows": 3}),
            "sources": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "theme").queryset = event.themes.all()
        _queryset(self, "sources").queryset = NotePoint.objects.filter(
            breakout__event=event, merged_into__isnull=True
        ).select_related("breakout")
        self.fields["sources"].required = False


class EventForm(BoundedModelForm):
    online_link = forms.URLField(label=_("online link"), required=False, assume_scheme="https")

    class Meta:
        model = Event
        fields = (
            "organisation", "organisers", "kind", "slug", "title_fr", "title_nl", "title_en", "description_fr",
            "description_nl", "description_en",
            "place", "street", "postal_code", "city", "online_link", "practical_details", "contact_email", "opens_at", "closes_at", "capacity",
            "per_organisation", "audience", "audience_sector", "ask_function", "ask_sector", "ask_accessibility",
            "requires_approval", "invitation_only", "confirmation_hours", "offer_hours", "is_published",
        )  # fmt: skip
        widgets = {
            "opens_at": _datetime_widget(),
            "closes_at": _datetime_widget(),
            "description_fr": forms.Textarea(attrs={"rows": 6}),
            "description_nl": forms.Textarea(attrs={"rows": 6}),
            "description_en": forms.Textarea(attrs={"rows": 6}),
            "practical_details": forms.Textarea(attrs={"rows": 3}),
            "organisers": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args: Any, lead_choices: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "organisation").queryset = lead_choices
        self.fields["organisers"].required = False
        self.fields["organisers"].help_text = _("Co-organisers; the lead organiser is always one.")
        # "Address" read as a postal address: say it is the end of the page's web address.
        self.fields["slug"].label = _("Web address of the event page")
        self.fields["slug"].help_text = _(
            "Letters, digits and hyphens, e.g. assises-2026: the page is /events/assises-2026/."
        )
        self.fields["postal_code"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "postal-code"})
        self.fields["street"].widget.attrs["autocomplete"] = "address-line1"
        self.fields["city"].help_text = _("Empty: the Brussels commune of the postal code.")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._clean_address(cleaned)
        return cleaned

    def _clean_address(self, cleaned: dict[str, Any]) -> None:
        """A postal address is whole (street, a Belgian postal code, a municipality) or not given at all."""
        street, postal, city = (cleaned.get(name, "").strip() for name in ("street", "postal_code", "city"))
        cleaned.update(street=street, postal_code=postal, city=city)
        if not (street or postal or city) or self.has_error("street") or self.has_error("city"):
            return
        if not street:
            self.add_error("street", _("Give the street and number of the address."))
        if not postal:
            self.add_error("postal_code", _("Give the postal code of the address."))
            return
        try:
            location = resolve_postal_code(postal)
        except ValidationError as error:
            self.add_error("postal_code", error)
            return
        if not city and location.commune is not None:
            cleaned["city"] = location.commune.name
        elif not city:
            self.add_error("city", _("Give the municipality of the address."))


class ThemeForm(BoundedModelForm):
    class Meta:
        model = Theme
        fields = (
            "position", "title_fr", "title_nl", "description_fr", "description_nl", "capacity", "per_organisation",
            "closes_at",
        )  # fmt: skip
        widgets = {
            "closes_at": _datetime_widget(),
            "description_fr": forms.Textarea(attrs={"rows": 3}),
            "description_nl": forms.Textarea(attrs={"rows": 3}),
        }


class GroupForm(BoundedModelForm):
    class Meta:
        model = Group
        fields = ("position", "name", "facilitators", "capacity", "per_organisation")


class SessionForm(BoundedModelForm):
    class Meta:
        model = Session
        fields = ("title", "starts_at", "ends_at", "theme", "group", "place")
        widgets = {"starts_at": _datetime_widget(), "ends_at": _datetime_widget()}

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "theme").queryset = event.themes.all()
        _queryset(self, "group").queryset = event.groups.all()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The end must come after the start."))
        return cleaned


class SessionDetailsForm(SessionForm):
    """A session's wording, place, theme and group; its date changes on the move page (participants told)."""

    class Meta:
        model = Session
        fields = ("title", "theme", "group", "place")


class MoveSessionForm(BoundedForm):
    """A session's new date and time (its participants get the updated invitation)."""

    starts_at = forms.DateTimeField(label=_("Starts"), widget=_datetime_widget())
    ends_at = forms.DateTimeField(label=_("Ends"), widget=_datetime_widget())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The end must come after the start."))
        return cleaned


class FollowUpForm(BoundedForm):
    """One dated step of what became of a published recommendation."""

    status = forms.ChoiceField(
        label=_("Status"),
        choices=FollowStatus.choices,
        error_messages={"invalid_choice": _("“%(value)s” is not a status: choose one in the list.")},
    )
    on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    addressed_to = forms.CharField(label=_("Addressed to"), max_length=200, required=False)
    note = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def clean_on(self) -> Any:
        on = self.cleaned_data["on"]
        if on > timezone.localdate():
            raise forms.ValidationError(_("The date of a step cannot be in the future."))
        return on
