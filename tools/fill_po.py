"""Fill a .po catalogue from a Python dict file: `python tools/fill_po.py CATALOGUE.po TRANSLATIONS.py`.

TRANSLATIONS.py defines T = {msgid: msgstr or [singular, plural]}. A helper for translators; unknown
msgids are listed so nothing is silently left untranslated.
"""

from __future__ import annotations

import runpy
import sys

import polib


def main() -> int:
    po_path, table_path = sys.argv[1], sys.argv[2]
    table = runpy.run_path(table_path)["T"]
    po = polib.pofile(po_path)
    missing = []
    for entry in po:
        value = table.get(entry.msgid)
        if value is None:
            missing.append(entry.msgid)
            continue
        if entry.msgid_plural:
            singular, plural = value
            entry.msgstr_plural = {0: singular, 1: plural}
        else:
            entry.msgstr = value
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    po.save()
    for msgid in missing:
        print(f"untranslated: {msgid!r}")  # noqa: T201
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
