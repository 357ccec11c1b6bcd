"""The quartiers reference table: import command from a file, checks, services serving quartiers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from maillage.directory.models import Quartier

pytestmark = pytest.mark.django_db


def test_sample_file_is_loaded_and_reloaded(capsys) -> None:  # type: ignore[no-untyped-def]
    from maillage.directory.quartiers import SAMPLE

    assert "OUR OWN DERIVED DATA" in SAMPLE.read_text()
    call_command("import_quartiers", str(SAMPLE))
    assert capsys.readouterr().out.strip() == "6 quartiers created, 0 updated."
    midi = Quartier.objects.get(code="S02")
    assert (midi.name_fr, midi.name_nl) == ("Gare du Midi", "Zuidstation")
    assert sorted(midi.communes.values_list("nis_code", flat=True)) == ["21001", "21013"]
    call_command("import_quartiers", str(SAMPLE))
    assert capsys.readouterr().out.strip() == "0 quartiers created, 6 updated."


def test_geojson_with_mapped_fields(tmp_path: Path) -> None:
    path = tmp_path / "q.geojson"
    feature = {"type": "Feature", "geometry": None, "properties": {"MDRC": "42", "NAME_FRE": "Flagey", "NAME_DUT": "Flagey", "NIS": "21009"}}  # fmt: skip
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    call_command("import_quartiers", str(path), fields="code=MDRC,name_fr=NAME_FRE,name_nl=NAME_DUT,communes=NIS")
    assert list(Quartier.objects.values_list("code", "name_fr")) == [("42", "Flagey")]


def test_bad_files_refused_with_nothing_written(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("code;name_fr;name_nl;communes\nA1;Bon;Goed;21009\nA2;Mauvais;Slecht;99999\n")
    with pytest.raises(CommandError, match=r"A2 : code\(s\) INS de commune inconnu\(s\) 99999"):
        call_command("import_quartiers", str(path))
    assert Quartier.objects.count() == 0
    path.write_text("nom;commune\nx;y\n")
    with pytest.raises(CommandError, match="colonnes code, name_fr, name_nl, communes"):
        call_command("import_quartiers", str(path))
    path.write_text('{"type": "Feature"}')
    with pytest.raises(CommandError, match="FeatureCollection"):
        call_command("import_quartiers", str(path))
    with pytest.raises(CommandError, match="No file"):
        call_command("import_quartiers", str(tmp_path / "missing.csv"))
