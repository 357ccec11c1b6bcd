"""Reference geography: the 19 Brussels communes and their postal codes; provinces by postal range."""

from django.db import migrations

# nis, name_fr, name_nl, latitude, longitude, [(postal code, locality fr, locality nl)]
COMMUNES = [
    ("21001", "Anderlecht", "Anderlecht", "50.83630", "4.30750", [("1070", "Anderlecht", "Anderlecht")]),
    ("21002", "Auderghem", "Oudergem", "50.81560", "4.43300", [("1160", "Auderghem", "Oudergem")]),
    ("21003", "Berchem-Sainte-Agathe", "Sint-Agatha-Berchem", "50.86500", "4.29500", [("1082", "Berchem-Sainte-Agathe", "Sint-Agatha-Berchem")]),
    ("21004", "Bruxelles", "Brussel", "50.84670", "4.35250", [
        ("1000", "Bruxelles", "Brussel"), ("1020", "Laeken", "Laken"),
        ("1120", "Neder-Over-Heembeek", "Neder-Over-Heembeek"), ("1130", "Haren", "Haren"),
    ]),
    ("21005", "Etterbeek", "Etterbeek", "50.83610", "4.38610", [("1040", "Etterbeek", "Etterbeek")]),
    ("21006", "Evere", "Evere", "50.87000", "4.40140", [("1140", "Evere", "Evere")]),
    ("21007", "Forest", "Vorst", "50.81030", "4.31920", [("1190", "Forest", "Vorst")]),
    ("21008", "Ganshoren", "Ganshoren", "50.87110", "4.30830", [("1083", "Ganshoren", "Ganshoren")]),
    ("21009", "Ixelles", "Elsene", "50.82750", "4.36970", [("1050", "Ixelles", "Elsene")]),
    ("21010", "Jette", "Jette", "50.87720", "4.32640", [("1090", "Jette", "Jette")]),
    ("21011", "Koekelberg", "Koekelberg", "50.86220", "4.32560", [("1081", "Koekelberg", "Koekelberg")]),
    ("21012", "Molenbeek-Saint-Jean", "Sint-Jans-Molenbeek", "50.85500", "4.33000", [("1080", "Molenbeek-Saint-Jean", "Sint-Jans-Molenbeek")]),
    ("21013", "Saint-Gilles", "Sint-Gillis", "50.82670", "4.34580", [("1060", "Saint-Gilles", "Sint-Gillis")]),
    ("21014", "Saint-Josse-ten-Noode", "Sint-Joost-ten-Node", "50.85360", "4.37170", [("1210", "Saint-Josse-ten-Noode", "Sint-Joost-ten-Node")]),
    ("21015", "Schaerbeek", "Schaarbeek", "50.86760", "4.37370", [("1030", "Schaerbeek", "Schaarbeek")]),
    ("21016", "Uccle", "Ukkel", "50.80000", "4.33330", [("1180", "Uccle", "Ukkel")]),
    ("21017", "Watermael-Boitsfort", "Watermaal-Bosvoorde", "50.79900", "4.41600", [("1170", "Watermael-Boitsfort", "Watermaal-Bosvoorde")]),
    ("21018", "Woluwe-Saint-Lambert", "Sint-Lambrechts-Woluwe", "50.84760", "4.43220", [("1200", "Woluwe-Saint-Lambert", "Sint-Lambrechts-Woluwe")]),
    ("21019", "Woluwe-Saint-Pierre", "Sint-Pieters-Woluwe", "50.83000", "4.43000", [("1150", "Woluwe-Saint-Pierre", "Sint-Pieters-Woluwe")]),
]

# code, name_fr, name_nl, region, [(first, last)]
PROVINCES = [
    ("brabant-wallon", "Brabant wallon", "Waals-Brabant", "wallonia", [(1300, 1499)]),
    ("hainaut", "Hainaut", "Henegouwen", "wallonia", [(6000, 6599), (7000, 7999)]),
    ("liege", "Liège", "Luik", "wallonia", [(4000, 4999)]),
    ("luxembourg", "Luxembourg", "Luxemburg", "wallonia", [(6600, 6999)]),
    ("namur", "Namur", "Namen", "wallonia", [(5000, 5999)]),
    ("vlaams-brabant", "Brabant flamand", "Vlaams-Brabant", "flanders", [(1500, 1999), (3000, 3499)]),
    ("antwerpen", "Anvers", "Antwerpen", "flanders", [(2000, 2999)]),
    ("limburg", "Limbourg", "Limburg", "flanders", [(3500, 3999)]),
    ("west-vlaanderen", "Flandre occidentale", "West-Vlaanderen", "flanders", [(8000, 8999)]),
    ("oost-vlaanderen", "Flandre orientale", "Oost-Vlaanderen", "flanders", [(9000, 9999)]),
]


def load(apps, schema_editor):
    Commune = apps.get_model("core", "Commune")
    PostalCode = apps.get_model("core", "PostalCode")
    Province = apps.get_model("core", "Province")
    PostalRange = apps.get_model("core", "PostalRange")
    for nis, name_fr, name_nl, lat, lon, codes in COMMUNES:
        commune, _ = Commune.objects.update_or_create(
            nis_code=nis, defaults={"name_fr": name_fr, "name_nl": name_nl, "latitude": lat, "longitude": lon, "region": "brussels"}
        )
        for code, locality_fr, locality_nl in codes:
            PostalCode.objects.update_or_create(
                code=code, defaults={"commune": commune, "locality_fr": locality_fr, "locality_nl": locality_nl}
            )
    for code, name_fr, name_nl, region, ranges in PROVINCES:
        province, _ = Province.objects.update_or_create(code=code, defaults={"name_fr": name_fr, "name_nl": name_nl, "region": region})
        for first, last in ranges:
            PostalRange.objects.get_or_create(province=province, first=first, last=last)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
