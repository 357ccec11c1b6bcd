"""CI check: every app's catalogue (maillage/<app>/locale/) is fully translated and its compiled .mo matches its .po.

Run with `python -m maillage.core.i18n_check`; prints one line per problem, exits 1 if any.
"""

from __future__ import annotations

import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent


def problems() -> list[str]:
    import polib

    found = []
    for po_path in sorted([*PACKAGE.glob("*/locale/*/LC_MESSAGES/*.po"), *PACKAGE.glob("locale/*/LC_MESSAGES/*.po")]):
        po = polib.pofile(str(po_path))
        language = po_path.parts[-3]
        missing = [
            entry.msgid for entry in po if not entry.obsolete and (not entry.translated() or "fuzzy" in entry.flags)
        ]
        if missing and language != "en":
            found.append(f"{po_path}: {len(missing)} untranslated or fuzzy, e.g. {missing[0]!r}")
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists():
            found.append(f"{mo_path}: missing; run `maillage compilemessages`")
            continue
        mo = {
            (entry.msgctxt, entry.msgid): (entry.msgstr, tuple(sorted(entry.msgstr_plural.items())))
            for entry in polib.mofile(str(mo_path))
        }
        stale = [
            entry.msgid
            for entry in po.translated_entries()
            if "fuzzy" not in entry.flags
            and mo.get((entry.msgctxt, entry.msgid)) != (entry.msgstr, tuple(sorted(entry.msgstr_plural.items())))
        ]
        if stale:
            found.append(
                f"{mo_path}: out of date for {len(stale)} messages, e.g. {stale[0]!r}; run `maillage compilemessages`"
            )
    return found


def main() -> int:
    found = problems()
    for line in found:
        print(line)  # noqa: T201
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
