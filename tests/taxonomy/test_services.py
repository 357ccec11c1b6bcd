"""Drafts, import all-or-nothing, export round-trip, edits, mappings, publication — and their audit entries."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from maillage.core.models import AuditEntry, User
from maillage.taxonomy import services
from maillage.taxonomy.models import Category, CategoryMapping, Scheme, SchemeVersion, VersionStatus
from maillage.taxonomy.queries import version_tree
from tests.taxonomy.conftest import V1_CSV, V2_CSV


def tree_of(version: SchemeVersion) -> list[tuple]:
    """The whole tree as plain values, to compare two versions."""
    return [
        (
            (
                node.category.code,
                node.category.label_fr,
                node.category.label_nl,
                node.category.label_en,
                node.category.description,
                node.category.is_active,
            ),
            [(c.code, c.label_fr, c.label_nl, c.label_en, c.description, c.is_active) for c in node.children],
        )
        for node in version_tree(version)
    ]


def audit_codes() -> list[tuple[str, str, dict]]:
    return [(e.code, e.target_repr, e.data) for e in AuditEntry.objects.order_by("id")]


def test_create_first_draft_is_empty_version_1(scheme: Scheme, staff: User) -> None:
    version = services.create_draft(staff, scheme, title="2025")
    assert (version.number, version.status, version.previous, version.categories.count()) == (1, "draft", None, 0)
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.code, entry.target_repr, entry.data) == (
        staff,
        "taxonomy.version.created",
        "themes v1",
        {"copied_from": None},
    )


def test_create_draft_copies_newest_version_and_maps_each_category_to_its_copy(v1: SchemeVersion) -> None:
    draft = services.create_draft(None, v1.scheme)
    assert (draft.number, draft.previous, draft.status) == (2, v1, VersionStatus.DRAFT)
    assert tree_of(draft) == tree_of(v1)
    assert sorted(
        CategoryMapping.objects.filter(target__version=draft).values_list("source__code", "target__code")
    ) == [
        ("FOOD", "FOOD"),
        ("FOOD.PARCEL", "FOOD.PARCEL"),
        ("FOOD.SHOP", "FOOD.SHOP"),
        ("HOUSING", "HOUSING"),
        ("HOUSING.RENT", "HOUSING.RENT"),
    ]
    assert services.unmapped_categories(draft) == []


def test_create_draft_refused_while_a_draft_exists(v2_draft: SchemeVersion) -> None:
    with pytest.raises(ValidationError) as error:
        services.create_draft(None, v2_draft.scheme)
    assert error.value.messages == ["Version themes v2 is still a draft: publish it before starting another one."]
    assert v2_draft.scheme.versions.count() == 2


def test_database_allows_one_draft_per_scheme(v2_draft: SchemeVersion) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        SchemeVersion.objects.create(scheme=v2_draft.scheme, number=3, previous=v2_draft)


def test_import_writes_the_tree_in_file_order(scheme: Scheme, staff: User) -> None:
    version = services.create_draft(None, scheme)
    parsed = services.import_categories_csv(staff, version, V1_CSV)
    assert parsed.errors == []
    assert [
        (c.code, c.level, c.parent.code if c.parent else "", c.position)
        for c in version.categories.select_related("parent").order_by("position")
    ] == [
        ("FOOD", 1, "", 0),
        ("FOOD.PARCEL", 2, "FOOD", 1),
        ("FOOD.SHOP", 2, "FOOD", 2),
        ("HOUSING", 1, "", 3),
        ("HOUSING.RENT", 2, "HOUSING", 4),
    ]
    assert audit_codes()[-1] == ("taxonomy.version.imported", "themes v1", {"categories": 5})


def test_import_child_before_parent_is_fine(scheme: Scheme) -> None:
    version = services.create_draft(None, scheme)
    text = "code,parent_code,label_fr,label_nl\nA.1,A,Un,Een\nA,,A,A\n"
    assert services.import_categories_csv(None, version, text).errors == []
    assert [(c.code, c.parent_id is not None) for c in version.categories.order_by("position")] == [
        ("A.1", True),
        ("A", False),
    ]


def test_import_all_or_nothing_when_a_row_is_bad(v2_draft: SchemeVersion) -> None:
    before = tree_of(v2_draft)
    entries_before = AuditEntry.objects.count()
    bad = V1_CSV + "SCHOOL.COSTS,SCHOOL,Frais scolaires,Schoolkosten,,,\n"
    parsed = services.import_categories_csv(None, v2_draft, bad)
    assert parsed.errors == [(7, "parent code SCHOOL does not exist in this file.")]
    assert tree_of(v2_draft) == before
    assert AuditEntry.objects.count() == entries_before


def test_import_replaces_the_draft_and_keeps_same_code_mappings(v2_draft: SchemeVersion) -> None:
    assert sorted(c.code for c in services.unmapped_categories(v2_draft)) == ["FOOD.PARCEL", "FOOD.SHOP"]
    parsed = services.import_categories_csv(None, v2_draft, V1_CSV)
    assert parsed.errors == []
    assert services.unmapped_categories(v2_draft) == []
    assert v2_draft.categories.count() == 5


def test_import_into_published_version_refused(v1: SchemeVersion) -> None:
    with pytest.raises(ValidationError) as error:
        services.import_categories_csv(None, v1, V2_CSV)
    assert error.value.messages == ["Version themes v1 is published and can no longer change."]
    assert sorted(v1.categories.values_list("code", flat=True)) == [
        "FOOD",
        "FOOD.PARCEL",
        "FOOD.SHOP",
        "HOUSING",
        "HOUSING.RENT",
    ]


def test_export_round_trip_gives_the_same_tree(v1: SchemeVersion) -> None:
    category = v1.categories.get(code="FOOD.SHOP")
    Category.objects.filter(pk=category.pk).update(is_active=False, description='Avec "guillemets", et virgule')
    exported = services.export_categories_csv(v1)
    assert exported.splitlines()[:3] == [
        "code,parent_code,label_fr,label_nl,label_en,description,active",
        "FOOD,,Aide alimentaire,Voedselhulp,Food aid,,yes",
        "FOOD.PARCEL,FOOD,Colis alimentaire,Voedselpakket,Food parcel,,yes",
    ]
    other = Scheme.objects.create(code="copy", label_fr="Copie", label_nl="Kopie")
    draft = services.create_draft(None, other)
    assert services.import_categories_csv(None, draft, exported).errors == []
    assert tree_of(draft) == tree_of(v1)
    assert services.export_categories_csv(draft) == exported


def test_starter_request_themes_round_trip(request_themes: Scheme) -> None:
    version = request_themes.versions.get()
    draft = services.create_draft(None, request_themes)
    assert services.import_categories_csv(None, draft, services.export_categories_csv(version)).errors == []
    assert tree_of(draft) == tree_of(version)


def test_publish_freezes_and_retires_the_previous_version(v2_draft: SchemeVersion, staff: User) -> None:
    parcel, shop = (v2_draft.previous.categories.get(code=code) for code in ("FOOD.PARCEL", "FOOD.SHOP"))
    aid = v2_draft.categories.get(code="FOOD.AID")
    services.record_mappings(staff, [(parcel, aid), (shop, aid)])
    services.publish_version(staff, v2_draft)
    v2_draft.refresh_from_db()
    v1 = SchemeVersion.objects.get(pk=v2_draft.previous_id)
    assert (v1.status, v2_draft.status, v2_draft.published_at is not None) == ("retired", "published", True)
    assert audit_codes()[-3:] == [
        ("taxonomy.mapping.recorded", "themes v2", {"from": "FOOD.PARCEL", "to": "FOOD.AID"}),
        ("taxonomy.mapping.recorded", "themes v2", {"from": "FOOD.SHOP", "to": "FOOD.AID"}),
        (
            "taxonomy.version.published",
            "themes v2",
            {
                "moved": {
                    "directory services": 0,
                    "directory workers": 0,
                    "directory subscriptions": 0,
                    "casework saved reports": 0,
                }
            },
        ),
    ]
    # Frozen: every change is refused.
    message = ["Version themes v2 is published and can no longer change."]
    for attempt in (
        lambda: services.import_categories_csv(staff, v2_draft, V1_CSV),
        lambda: services.update_category(staff, aid, label_fr="Autre"),
        lambda: services.publish_version(staff, v2_draft),
    ):
        with pytest.raises(ValidationError) as error:
            attempt()
        assert error.value.messages == message
    aid.refresh_from_db()
    assert aid.label_fr == "Colis et épicerie"


def test_mapping_into_a_published_version_refused(v2_draft: SchemeVersion) -> None:
    parcel = v2_draft.previous.categories.get(code="FOOD.PARCEL")
    aid = v2_draft.categories.get(code="FOOD.AID")
    services.record_mapping(None, parcel, aid)
    services.record_mapping(None, v2_draft.previous.categories.get(code="FOOD.SHOP"), aid)
    services.publish_version(None, v2_draft)
    with pytest.raises(ValidationError) as error:
        services.record_mapping(None, parcel, v2_draft.categories.get(code="FOOD"))
    assert error.value.messages == ["Version themes v2 is published and can no longer change."]
    assert CategoryMapping.objects.get(source=parcel).target == aid


def test_publish_refused_while_old_categories_are_unmapped(v2_draft: SchemeVersion) -> None:
    with pytest.raises(ValidationError) as error:
        services.publish_version(None, v2_draft)
    assert error.value.messages == ["Say where these old categories go before publishing: FOOD.PARCEL, FOOD.SHOP."]
    v2_draft.refresh_from_db()
    assert v2_draft.status == "draft"


def test_publish_refusal_lists_ten_codes_then_an_ellipsis(scheme: Scheme) -> None:
    rows = "".join(f"C{n:02},,c{n},c{n},,,\n" for n in range(12))
    version = services.create_draft(None, scheme)
    services.import_categories_csv(
        None, version, "code,parent_code,label_fr,label_nl,label_en,description,active\n" + rows
    )
    services.publish_version(None, version)
    draft = services.create_draft(None, scheme)
    services.import_categories_csv(None, draft, "code,parent_code,label_fr,label_nl\nNEW,,n,n\n")
    with pytest.raises(ValidationError) as error:
        services.publish_version(None, draft)
    assert error.value.messages == [
        "Say where these old categories go before publishing: C00, C01, C02, C03, C04, C05, C06, C07, C08, C09, …."
    ]


def test_publish_empty_version_refused(scheme: Scheme) -> None:
    version = services.create_draft(None, scheme)
    with pytest.raises(ValidationError) as error:
        services.publish_version(None, version)
    assert error.value.messages == ["An empty version cannot be published."]


def test_record_mapping_must_go_to_the_next_version(v2_draft: SchemeVersion, scheme: Scheme) -> None:
    aid = v2_draft.categories.get(code="FOOD.AID")
    with pytest.raises(ValidationError) as error:
        services.record_mapping(None, aid, v2_draft.categories.get(code="FOOD"))
    assert error.value.messages == ["A mapping goes from one version to the next one of the same scheme."]


def test_record_mapping_changes_an_existing_one(v2_draft: SchemeVersion) -> None:
    parcel = v2_draft.previous.categories.get(code="FOOD.PARCEL")
    services.record_mapping(None, parcel, v2_draft.categories.get(code="FOOD"))
    services.record_mapping(None, parcel, v2_draft.categories.get(code="FOOD.AID"))
    assert list(CategoryMapping.objects.filter(source=parcel).values_list("target__code", flat=True)) == ["FOOD.AID"]


def test_update_category_changes_labels_and_retires(v2_draft: SchemeVersion, staff: User) -> None:
    rent = v2_draft.categories.get(code="HOUSING.RENT")
    services.update_category(staff, rent, label_fr="Loyer", label_en="Rent", is_active=False, description="")
    rent.refresh_from_db()
    assert (rent.label_fr, rent.label_nl, rent.label_en, rent.is_active) == ("Loyer", "Onbetaalde huur", "Rent", False)
    assert audit_codes()[-1] == (
        "taxonomy.category.updated",
        "HOUSING.RENT Rent",
        {
            "version": 2,
            "before": {"label_fr": "Loyer impayé", "label_en": "Unpaid rent", "is_active": True},
            "after": {"label_fr": "Loyer", "label_en": "Rent", "is_active": False},
        },
    )


def test_update_category_without_change_writes_nothing(v2_draft: SchemeVersion) -> None:
    rent = v2_draft.categories.get(code="HOUSING.RENT")
    count = AuditEntry.objects.count()
    services.update_category(None, rent, label_fr="Loyer impayé")
    assert AuditEntry.objects.count() == count


def test_update_category_refuses_empty_labels_and_other_fields(v2_draft: SchemeVersion) -> None:
    rent = v2_draft.categories.get(code="HOUSING.RENT")
    with pytest.raises(ValidationError) as error:
        services.update_category(None, rent, label_nl="")
    assert error.value.message_dict == {"label_nl": ["This field cannot be blank."]}
    with pytest.raises(ValueError, match=r"Not editable here: \['code'\]"):
        services.update_category(None, rent, code="X")
    assert Category.objects.get(pk=rent.pk).label_nl == "Onbetaalde huur"


def test_reimport_keeps_recorded_mappings_whose_target_is_still_there(v2_draft: SchemeVersion) -> None:
    old = v2_draft.previous
    parcel, shop = old.categories.get(code="FOOD.PARCEL"), old.categories.get(code="FOOD.SHOP")
    services.record_mapping(None, parcel, v2_draft.categories.get(code="FOOD.AID"))
    services.record_mapping(None, shop, v2_draft.categories.get(code="HOUSING"))
    # A label fixed in the file; FOOD.AID and HOUSING are still there.
    assert (
        services.import_categories_csv(None, v2_draft, V2_CSV.replace("Colis et épicerie", "Colis ou épicerie")).errors
        == []
    )
    assert sorted(
        CategoryMapping.objects.filter(target__version=v2_draft).values_list("source__code", "target__code")
    ) == [
        ("FOOD", "FOOD"),
        ("FOOD.PARCEL", "FOOD.AID"),
        ("FOOD.SHOP", "HOUSING"),
        ("HOUSING", "HOUSING"),
        ("HOUSING.RENT", "HOUSING.RENT"),
    ]
    # FOOD.AID gone, FOOD.SHOP back with its own code: PARCEL waits again, SHOP maps to itself.
    without_aid = V2_CSV.replace(
        "FOOD.AID,FOOD,Colis et épicerie,Pakketten en kruidenier,Parcels and grocery,,yes",
        "FOOD.SHOP,FOOD,Épicerie sociale,Sociale kruidenier,Social grocery,,yes",
    )
    assert services.import_categories_csv(None, v2_draft, without_aid).errors == []
    assert [c.code for c in services.unmapped_categories(v2_draft)] == ["FOOD.PARCEL"]
    assert CategoryMapping.objects.get(source=shop).target.code == "FOOD.SHOP"
