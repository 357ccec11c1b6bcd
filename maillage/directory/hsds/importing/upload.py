"""An uploaded HSDS file, measured before it is read: JSON documents, or a zip of the tabular datapackage."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from maillage.core.models import User
from maillage.core.uploads import check_upload_size, load_json_bounded, open_zip_safely
from maillage.directory.hsds.importing.documents import ImportReport, import_documents
from maillage.directory.hsds.importing.tabular import import_tabular


def import_upload(actor: User | None, upload: Any) -> ImportReport:
    """Import an uploaded file (Django's UploadedFile, or any file with `name` and `size`); all or nothing.

    The size is checked before a byte is read (MAILLAGE_UPLOAD_LIMITS["hsds"]); a zip through
    open_zip_safely (member count and inflated size from its directory, then counted while
    inflating); JSON with a depth limit; CSV members with a field-size limit.
    """
    check_upload_size(upload, "hsds")
    upload.seek(0)
    if str(upload.name or "").lower().endswith(".zip"):
        archive = open_zip_safely(upload)
        try:
            files = {name: _utf8(name, archive.read(name)) for name in archive.namelist() if name.endswith(".csv")}
        finally:
            archive.close()
        if not files:
            raise ValidationError(_("The archive holds no CSV file of an HSDS datapackage."), code="no_csv")
        return import_tabular(actor, files)
    return import_documents(actor, load_json_bounded(upload.read()))


def _utf8(name: str, content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("%(name)s is not UTF-8 text.") % {"name": name[:100]}, code="encoding") from None
