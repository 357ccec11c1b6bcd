from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from maillage.taxonomy.models import Category

MAX_UPLOAD_BYTES = 2 * 1024 * 1024


class UploadCategoriesForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, comma or semicolon separated, with the columns code, parent_code, label_fr, label_nl "
            "(and optionally label_en, description, active). It replaces every category of this draft."
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB; a category list is much smaller."))
        return upload


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["label_fr", "label_nl", "label_en", "description", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


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

    def changed_pairs(self) -> list[tuple[Category, Category]]:
        """(old, new) for every select whose value differs from what was recorded."""
        pairs = []
        for old in self.old_categories:
            name = f"map_{old.pk}"
            value = self.cleaned_data.get(name)
            if value and name in self.changed_data:
                pairs.append((old, self.new_by_pk[int(value)]))
        return pairs
