"""The CSV parser: every bad row reported with its line number (the header is line 1)."""

from __future__ import annotations

import pytest
from django.utils import translation

from maillage.taxonomy.csv_format import CategoryRow, decode, parse_categories, write_categories

HEADER = "code,parent_code,label_fr,label_nl,label_en,description,active\n"


def test_parse_good_file_gives_rows_in_file_order() -> None:
    parsed = parse_categories(
        HEADER + "FOOD,,Aide alimentaire,Voedselhulp,Food aid,,yes\nFOOD.PARCEL,FOOD,Colis,Pakket,,Un colis,no\n"
    )
    assert parsed.errors == []
    assert parsed.rows == [
        CategoryRow(2, "FOOD", "", "Aide alimentaire", "Voedselhulp", "Food aid", "", True),
        CategoryRow(3, "FOOD.PARCEL", "FOOD", "Colis", "Pakket", "", "Un colis", False),
    ]


def test_parse_missing_parent_names_the_line() -> None:
    parsed = parse_categories(HEADER + "FOOD,,Aide,Hulp,,,\nHOUSING.RENT,HOUSING,Loyer,Huur,,,\n")
    assert parsed.errors == [(3, "parent code HOUSING does not exist in this file.")]


def test_parse_duplicate_code_names_both_lines() -> None:
    parsed = parse_categories(HEADER + "FOOD,,Aide,Hulp,,,\nHOUSING,,Logement,Huisvesting,,,\nFOOD,,Encore,Weer,,,\n")
    assert parsed.errors == [(4, "code FOOD already appears on line 2.")]


def test_parse_empty_labels() -> None:
    parsed = parse_categories(HEADER + "FOOD,,,Hulp,,,\nHOUSING,,Logement,,,,\nOTHER,,Autre,Andere,,,\n")
    assert parsed.errors == [
        (2, "the French and Dutch labels are required."),
        (3, "the French and Dutch labels are required."),
    ]


def test_parse_three_levels_refused() -> None:
    parsed = parse_categories(HEADER + "A,,A fr,A nl,,,\nA.B,A,B fr,B nl,,,\nA.B.C,A.B,C fr,C nl,,,\n")
    assert parsed.errors == [(4, "parent A.B is itself a sub-category; only two levels are allowed.")]


def test_parse_own_parent_refused() -> None:
    parsed = parse_categories(HEADER + "A,A,A fr,A nl,,,\n")
    assert parsed.errors == [(2, "a category cannot be its own parent.")]


def test_parse_several_problems_on_one_line_are_joined() -> None:
    parsed = parse_categories(HEADER + "A,,A fr,A nl,,,\nA,MISSING,,B nl,,,maybe\n")
    assert parsed.errors == [
        (
            3,
            (
                "code A already appears on line 2; the French and Dutch labels are required; "
                "'active' must be yes or no, not maybe; parent code MISSING does not exist in this file."
            ),
        )
    ]


def test_parse_reports_every_bad_row_not_only_the_first() -> None:
    parsed = parse_categories(
        HEADER
        + "A,,A fr,A nl,,,\n"
        + ",,Sans code,Zonder code,,,\n"
        + "B,X,B fr,B nl,,,\n"
        + "C,,C fr,C nl,,,\n"
        + "A,,Doublon,Dubbel,,,\n"
    )
    assert parsed.errors == [
        (3, "the code is empty."),
        (4, "parent code X does not exist in this file."),
        (6, "code A already appears on line 2."),
    ]


def test_parse_missing_columns() -> None:
    parsed = parse_categories("code,label_fr,label_en\nA,A fr,A en\n")
    assert parsed.errors == [(1, "missing column(s): parent_code, label_nl.")]
    assert parsed.rows == []


def test_parse_empty_file() -> None:
    assert parse_categories("").errors == [(1, "the file is empty.")]
    assert parse_categories("  \n\n").errors == [(1, "the file is empty.")]


def test_parse_header_only() -> None:
    assert parse_categories(HEADER).errors == [(1, "the file holds no category.")]


def test_parse_code_too_long_and_bad_characters() -> None:
    long_code = "X" * 31
    parsed = parse_categories(HEADER + f"{long_code},,Long,Lang,,,\nFOOD AID,,Aide,Hulp,,,\n")
    assert parsed.errors == [
        (2, f"the code {long_code} is longer than 30 characters."),
        (3, "the code FOOD AID may only hold letters, digits, dots, dashes and underscores."),
    ]


def test_parse_label_too_long() -> None:
    parsed = parse_categories(HEADER + f"A,,{'é' * 201},Kort,{'e' * 201},,\n")
    assert parsed.errors == [(2, "label(s) longer than 200 characters: label_fr, label_en.")]


def test_parse_too_many_values_hints_at_an_unquoted_comma() -> None:
    parsed = parse_categories(HEADER + "INCOME,,Revenus, emploi,Inkomen,Income,,yes\n")
    assert parsed.errors == [(2, "this row has 8 values but the header has 7 columns (a comma inside a label?).")]


def test_parse_semicolons_as_saved_by_a_belgian_spreadsheet() -> None:
    text = "code;parent_code;label_fr;label_nl\nINCOME;;Revenus, emploi et dettes;Inkomen, werk en schulden\n"
    parsed = parse_categories(text)
    assert parsed.errors == []
    assert [(row.code, row.label_fr, row.label_nl) for row in parsed.rows] == [
        ("INCOME", "Revenus, emploi et dettes", "Inkomen, werk en schulden")
    ]


def test_parse_header_case_and_spaces_ignored_and_optional_columns_default() -> None:
    parsed = parse_categories(" Code , Parent_Code ,LABEL_FR,label_nl\nA,,A fr,A nl\n")
    assert parsed.errors == []
    assert parsed.rows == [CategoryRow(2, "A", "", "A fr", "A nl", "", "", True)]


def test_parse_blank_lines_skipped_but_counted() -> None:
    parsed = parse_categories(HEADER + "A,,A fr,A nl,,,\n\n,,,,,,\nB,Z,B fr,B nl,,,\n")
    assert parsed.errors == [(5, "parent code Z does not exist in this file.")]


def test_parse_multiline_description_reports_the_line_where_the_row_starts() -> None:
    parsed = parse_categories(HEADER + 'A,,A fr,A nl,,"two\nlines",\nB,,,B nl,,,\n')
    assert parsed.rows[0].description == "two\nlines"
    assert parsed.errors == [(4, "the French and Dutch labels are required.")]


def test_parse_active_values() -> None:
    parsed = parse_categories(HEADER + "A,,a,a,,,Oui\nB,,b,b,,,nee\nC,,c,c,,,0\nD,,d,d,,,\n")
    assert [row.active for row in parsed.rows] == [True, False, False, True]


def test_parse_invalid_csv_reported() -> None:
    parsed = parse_categories(HEADER + 'A,,"' + "x" * 200_000 + '",b,,,\n')
    assert parsed.errors == [(2, "a value is longer than 2000 characters.")]


def test_decode_accepts_utf8_with_and_without_bom() -> None:
    assert decode("é".encode()) == "é"
    assert decode("é".encode("utf-8-sig")) == "é"


def test_decode_refuses_latin1() -> None:
    with pytest.raises(
        ValueError, match=r"^Line 2: the file is not UTF-8 text\. Save it as 'CSV UTF-8' and upload it again\.$"
    ):
        decode("code\nA,,Épicerie".encode("latin-1"))


def test_write_categories_has_header_and_rows() -> None:
    text = write_categories(
        [
            {
                "code": "A",
                "parent_code": "",
                "label_fr": "a, b",
                "label_nl": "c",
                "label_en": "",
                "description": "",
                "active": "yes",
            }
        ]
    )
    assert text == HEADER.replace("\n", "\r\n") + 'A,,"a, b",c,,,yes\r\n'


def test_messages_are_translated() -> None:
    text = HEADER + "FOOD,,Aide,Hulp,,,\nFOOD,MISSING,Encore,Weer,,,\n"
    with translation.override("fr"):
        assert parse_categories(text).errors == [
            (3, "le code FOOD figure déjà à la ligne 2 ; le code parent MISSING n'existe pas dans ce fichier.")
        ]
    with translation.override("nl"):
        assert parse_categories(text).errors == [
            (3, "code FOOD staat al op regel 2; oudercode MISSING bestaat niet in dit bestand.")
        ]
