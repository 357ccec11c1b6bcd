from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from maillage.core.parsing import BoundedCharField, no_control_characters
from maillage.core.uploads import UploadSizeValidator
from maillage.taxonomy.csv_format import DESCRIPTION_MAX_LENGTH, decode
from maillage.taxonomy.models import Category, SchemeVersion

UPLOAD_KIND = "taxonomy"  # settings.MAILLAGE_UPLOAD_LIMITS


class DraftForm(forms.Form):
    title = BoundedCharField(
        label=_("Title"), required=False, max_length=SchemeVersion._meta.get_field("title").max_length
    )


class UploadCategoriesForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, comma or semicolon separated, with the columns code, parent_code, label_fr, label_nl "
            "(and optionally label_en, description, active, and previous_codes: the codes of the previous version "
            "that go to each category, separated by |). It replaces every category of this draft."
        ),
        validators=[UploadSizeValidator(UPLOAD_KIND)],
    )

    def clean_file(self) -> Any:
        """The file's text: its size was checked before it was read (the field's validator)."""
        upload = self.cleaned_data["file"]
        try:
            self.text = decode(upload.read())
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        return upload


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["label_fr", "label_nl", "label_en", "description", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3, "maxlength": DESCRIPTION_MAX_LENGTH})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["description"].max_length = DESCRIPTION_MAX_LENGTH  # type: ignore[attr-defined]
        self.fields["description"].validators.append(MaxLengthValidator(DESCRIPTION_MAX_LENGTH))
        for name in ("label_fr", "label_nl", "label_en", "description"):
            self.fields[name].validators.append(no_control_characters)


class MappingForm(forms.Form):
    """One select per old category without a counterpart: where it goes in the new version."""

    def __init__(
        self,
        *args: Any,
        old_categories: list[Category],
        new_categories: list[Category],
        current: dict[int, Category],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.old_categories = old_categories
        self.new_by_pk = {category.pk: category for category in new_categories}
        choices = [("", _("— not mapped yet —"))] + [
            (str(category.pk), f"{'— ' if category.level == 2 else ''}{category.code} · {category.label}")
            for category in new_categories
        ]
        for old in old_categories:
            target = current.get(old.pk)
            self.fields[f"map_{old.pk}"] = forms.ChoiceField(
                label=f"{old.code} · {old.label}",
                choices=choices,
                required=False,
                initial=str(target.pk) if target else "",
            )

    def clean(self) -> dict[str, Any]:
        """Each changed select passes the domain check (no retired target, the next version only)."""
        from maillage.taxonomy.services import check_mapping

        cleaned = super().clean() or {}
        for old, new in self.changed_pairs():
            try:
                check_mapping(old, [new])
            except forms.ValidationError as error:
                self.add_error(f"map_{old.pk}", error)
        return cleaned

    def changed_pairs(self) -> list[tuple[Category, Category]]:
        """(old, new) for every select whose value differs from what was recorded."""
        pairs = []
        for old in self.old_categories:
            name = f"map_{old.pk}"
            value = self.cleaned_data.get(name)
            if value and name in self.changed_data and int(value) in self.new_by_pk:
                pairs.append((old, self.new_by_pk[int(value)]))
        return pairs


class SplitForm(forms.Form):
    """One old category going to several new ones: its old records are read under their joined key."""

    source = forms.TypedChoiceField(label=_("Category of the previous version"), coerce=int)
    targets = forms.TypedMultipleChoiceField(
        label=_("Goes to all of these"),
        coerce=int,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Choose two or more. Reports will not pretend to know which one an old record was about."),
    )

    def __init__(
        self, *args: Any, old_categories: list[Category], new_categories: list[Category], **kwargs: Any
    ) -> None:
        kwargs["prefix"] = "split"
        super().__init__(*args, **kwargs)
        self.old_by_pk = {category.pk: category for category in old_categories}
        self.new_by_pk = {category.pk: category for category in new_categories}
        self.fields["source"].choices = [("", "—")] + [(c.pk, f"{c.code} · {c.label}") for c in old_categories]  # type: ignore[attr-defined]
        self.fields["targets"].choices = [  # type: ignore[attr-defined]
            (c.pk, f"{'— ' if c.level == 2 else ''}{c.code} · {c.label}") for c in new_categories
        ]

    def clean(self) -> dict[str, Any]:
        from maillage.taxonomy.services import check_mapping

        cleaned = super().clean() or {}
        source, targets = cleaned.get("source"), cleaned.get("targets") or []
        if source is None or not targets:
            return cleaned
        if len(targets) < 2:
            self.add_error("targets", _("A split goes to two categories or more; for one, use the table above."))
            return cleaned
        try:
            check_mapping(self.old_by_pk[source], [self.new_by_pk[pk] for pk in targets])
        except forms.ValidationError as error:
            self.add_error("targets", error)
        return cleaned

    def pair(self) -> tuple[Category, list[Category]]:
        return self.old_by_pk[self.cleaned_data["source"]], [self.new_by_pk[pk] for pk in self.cleaned_data["targets"]]
