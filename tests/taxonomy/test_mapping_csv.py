"""A version with its mapping as CSV (column previous_codes): exported, imported elsewhere, bad files refused."""

from __future__ import annotations

import pytest

from maillage.taxonomy import services
from maillage.taxonomy.models import Category, CategoryMapping, Scheme, SchemeVersion
from maillage.taxonomy.reading import reading_in
from tests.factories import SchemeFactory
from tests.taxonomy.nomenclature import draft_v2, published_v1

V1 = """code,parent_code,label_fr,label_nl,label_en,description,active
INCOME,,Revenus,Inkomen,Income,,yes
HEALTH,,Santé,Gezondheid,Health,,yes
MENTAL,,Santé mentale,Geestelijke gezondheid,Mental health,,yes
HOUSING,,Logement,Huisvesting,Housing,,yes
HOUSING.RENT,HOUSING,Loyer,Huur,Rent,,yes
HOUSING.SHELTER,HOUSING,Hébergement,Opvang,Shelter,,yes
LEGAL,,Juridique,Juridisch,Legal,,yes
"""


@pytest.fixture
def published(db: None) -> SchemeVersion:
    scheme = SchemeFactory(code="federation-themes", label_fr="Thèmes", label_nl="Thema's", label_en="Themes")
    v1 = published_v1(scheme)
    return services.publish_version(None, draft_v2(v1))


def pairs(version: SchemeVersion) -> set[tuple[str, str]]:
    return set(CategoryMapping.objects.filter(target__version=version).values_list("source__code", "target__code"))


def test_a_version_goes_to_another_network_with_its_mapping(published: SchemeVersion) -> None:
    text = services.export_categories_csv(published, with_mapping=True)
    lines = text.splitlines()
    assert lines[0] == "code,parent_code,label_fr,label_nl,label_en,description,active,previous_codes"
    assert lines[1:3] == ["INCOME,,Revenus,Inkomen,Income,,yes,INCOME", "DEBT,,Dettes,Schulden,Debt,,yes,INCOME"]
    assert lines[3] == "HEALTH,,Santé,Gezondheid,Health,,yes,HEALTH|MENTAL"
    # Another network: the same version 1, then version 2 prepared offline and imported with its mapping.
    other = SchemeFactory(code="network-themes", label_fr="Thèmes", label_nl="Thema's", label_en="Themes")
    first = services.create_draft(None, other)
    assert services.import_categories_csv(None, first, V1).errors == []
    services.publish_version(None, first)
    second = services.create_draft(None, other)
    assert services.import_categories_csv(None, second, text).errors == []
    assert pairs(second) == pairs(published)
    services.publish_version(None, second)
    theirs, ours = reading_in(second, 2), reading_in(published, 2)
    codes = {c.pk: c.code for c in Category.objects.all()}
    assert sorted((codes[pk], key) for pk, key in theirs.code_of.items()) == sorted(
        (codes[pk], key) for pk, key in ours.code_of.items()
    )
    assert theirs.labels["INCOME+DEBT"] == "Income or Debt — before version 2"


HEADER = "code,parent_code,label_fr,label_nl,label_en,description,active,previous_codes\n"


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            "INCOME,,R,I,,,yes,INCOME|WEALTH\nHEALTH,,S,G,,,yes,HEALTH DEBT\n",
            [(2, "WEALTH: not a code of version 2.")],
        ),
        (
            "INCOME,,R,I,,,yes,INCOME\nHEALTH,,S,G,,,no,HEALTH|DEBT\n",
            [(3, "HEALTH is retired in this version: DEBT cannot go there.")],
        ),
        (
            "HOUSING,,L,H,,,yes,HOUSING|HOUSING.RENT\nHOUSING.RENT,HOUSING,L,H,,,yes,HOUSING.RENT\n",
            [(3, "HOUSING.RENT goes both to HOUSING and to its sub-category HOUSING.RENT.")],
        ),
        (
            "INCOME,,R,I,,,yes,HEALTH\nHEALTH,,S,G,,,yes,INCOME\n",
            [
                (
                    2,
                    (
                        "These mappings go round in a circle: HEALTH → INCOME → HEALTH. Give new codes instead of "
                        "swapping them."
                    ),
                )
            ],
        ),
        ("INCOME,,R,I,,,yes,INC=OME\n", [(2, "previous code(s) that cannot be codes: INC=OME.")]),
    ],
)
def test_a_bad_mapping_file_names_the_line_and_changes_nothing(
    published: SchemeVersion, body: str, errors: list[tuple[int, str]]
) -> None:
    draft = services.create_draft(None, published.scheme)
    before = sorted(draft.categories.values_list("code", flat=True)), pairs(draft)
    parsed = services.import_categories_csv(None, draft, HEADER + body)
    assert parsed.errors == errors
    assert (sorted(draft.categories.values_list("code", flat=True)), pairs(draft)) == before


def test_the_upload_page_lists_mapping_errors_and_the_download_has_the_column(
    staff_client, published: SchemeVersion
) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    download = staff_client.get(
        reverse("taxonomy:download", args=[published.scheme.code, 2]), {"mapping": "1", "sep": "comma"}
    )
    assert download.status_code == 200
    content = b"".join(download.streaming_content).decode("utf-8-sig")
    assert content.splitlines()[0].endswith(",previous_codes")
    draft = services.create_draft(None, Scheme.objects.get(pk=published.scheme_id))
    page = staff_client.post(
        reverse("taxonomy:upload", args=[published.scheme.code, draft.number]),
        {"file": SimpleUploadedFile("v3.csv", (HEADER + "INCOME,,R,I,,,yes,WEALTH\n").encode())},
    )
    assert page.status_code == 200
    assert page.context["row_errors"] == [(2, "WEALTH: not a code of version 2.")]
