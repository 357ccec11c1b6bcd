from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from openpyxl import load_workbook

from maillage.stats.exports import Table, export_response, rows_to_xlsx_response, streaming_csv_response

TABLES = [
    Table("Totals", ["Period", "Calls"], [["2021", 3]]),
    Table("Themes", ["Code", "Share (%)"], [["FOOD", Decimal("25.5")], ["=cmd", None]], note="Base: requests"),
    Table("Themes", ["When"], [[date(2021, 1, 2)], [datetime(2021, 1, 2, 10, 30)]]),
]


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content).decode("utf-8")


def test_csv_has_one_block_per_table_in_the_belgian_form() -> None:
    text = _text(export_response("csv", "report", TABLES))
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text[1:]), delimiter=";")) == [
        ["Totals"],
        ["Period", "Calls"],
        ["2021", "3"],
        [],
        ["Themes"],
        ["Base: requests"],
        ["Code", "Share (%)"],
        ["FOOD", "25,5"],
        ["'=cmd", ""],
        [],
        ["Themes"],
        ["When"],
        ["2021-01-02"],
        ["2021-01-02 10:30"],
    ]


def test_csv_with_commas_on_request() -> None:
    text = _text(export_response("csv", "report", TABLES[1:2], separator="comma"))
    assert text == "Themes\r\nBase: requests\r\nCode,Share (%)\r\nFOOD,25.5\r\n'=cmd,\r\n"


def test_xlsx_has_one_sheet_per_table_with_numbers_as_numbers() -> None:
    response = export_response("xlsx", "report", TABLES)
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["Totals", "Themes", "Themes 2"]
    themes = workbook["Themes"]
    assert [[cell.value for cell in row] for row in themes.iter_rows()] == [
        ["Themes", None],
        ["Base: requests", None],
        ["Code", "Share (%)"],
        ["FOOD", 25.5],
        ["=cmd", None],
    ]
    assert themes["A5"].data_type == "s"
    empty = export_response("xlsx", "empty", [])
    assert load_workbook(io.BytesIO(b"".join(empty.streaming_content))).sheetnames == ["Sheet"]


def test_responses_are_private_and_streamed() -> None:
    response = export_response("csv", "report é", TABLES[:1])
    assert (response["Content-Disposition"], response["Cache-Control"]) == (
        "attachment; filename=\"report_e.csv\"; filename*=UTF-8''report%20%C3%A9.csv",
        "no-store",
    )
    xlsx = export_response("xlsx", "r", TABLES[:1])
    assert (xlsx["Content-Type"], xlsx["Cache-Control"]) == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "no-store",
    )
    aware = timezone.make_aware(datetime(2021, 1, 2, 10, 30))
    streamed = streaming_csv_response("rows", ["a", "b"], iter([[1, aware], [2, None]]), separator="comma")
    assert (_text(streamed), streamed["Cache-Control"]) == ("a,b\r\n1,2021-01-02 10:30\r\n2,\r\n", "no-store")
    rows = rows_to_xlsx_response("rows", ["a"], [[1], ["+x"]])
    sheet = load_workbook(io.BytesIO(b"".join(rows.streaming_content)))["Data"]
    assert [(row[0].value, row[0].data_type) for row in sheet.iter_rows()] == [("a", "s"), (1, "n"), ("+x", "s")]
