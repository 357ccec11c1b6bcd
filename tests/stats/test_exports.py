from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from openpyxl import load_workbook

from maillage.stats.exports import (
    Table,
    export_response,
    rows_to_xlsx_response,
    streaming_csv_response,
    tables_to_csv,
    tables_to_xlsx,
)

TABLES = [
    Table("Totals", ["Period", "Calls"], [["2021", 3]]),
    Table("Themes", ["Code", "Share (%)"], [["FOOD", Decimal("25.0")], ["=cmd", None]], note="Base: requests"),
    Table("Themes", ["When"], [[date(2021, 1, 2)], [datetime(2021, 1, 2, 10, 30)]]),
]


def test_csv_has_one_block_per_table():
    rows = list(csv.reader(io.StringIO(tables_to_csv(TABLES))))
    assert rows == [
        ["Totals"],
        ["Period", "Calls"],
        ["2021", "3"],
        [],
        ["Themes"],
        ["Base: requests"],
        ["Code", "Share (%)"],
        ["FOOD", "25.0"],
        ["=cmd", ""],
        [],
        ["Themes"],
        ["When"],
        ["2021-01-02"],
        ["2021-01-02T10:30:00"],
    ]


def test_xlsx_has_one_sheet_per_table_with_numbers_as_numbers():
    workbook = load_workbook(io.BytesIO(tables_to_xlsx(TABLES)))
    assert workbook.sheetnames == ["Totals", "Themes", "Themes 2"]
    themes = workbook["Themes"]
    assert [[cell.value for cell in row] for row in themes.iter_rows()] == [
        ["Themes", None],
        ["Base: requests", None],
        ["Code", "Share (%)"],
        ["FOOD", 25.0],
        ["'=cmd", None],
    ]
    assert load_workbook(io.BytesIO(tables_to_xlsx([]))).sheetnames == ["Empty"]


def test_responses_and_streaming():
    response = export_response("csv", "report é", TABLES[:1])
    assert (response["Content-Disposition"], response.content[:3]) == (
        'attachment; filename="report__.csv"',
        "\ufeff".encode(),
    )
    assert export_response("xlsx", "r", TABLES[:1])["Content-Type"].endswith("spreadsheetml.sheet")
    aware = timezone.make_aware(datetime(2021, 1, 2, 10, 30))
    streamed = streaming_csv_response("rows", ["a", "b"], iter([[1, aware], [2, None]]))
    assert b"".join(streamed.streaming_content).decode("utf-8-sig") == "a,b\r\n1,2021-01-02 10:30\r\n2,\r\n"
    book = load_workbook(io.BytesIO(rows_to_xlsx_response("rows", ["a"], [[1], ["+x"]]).content))
    assert [row[0].value for row in book["Data"].iter_rows()] == ["a", 1, "'+x"]
