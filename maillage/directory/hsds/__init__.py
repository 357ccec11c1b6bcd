"""HSDS 3.0 exchange: organisation/service "full" JSON documents and the tabular datapackage, export
and import apart.

- `export.documents`: the JSON documents (export, API); `export.tabular`: the datapackage's CSV tables;
- `importing.documents`: documents into the directory, all or nothing, with their value checks in
  `importing.values`; `importing.tabular`: a datapackage made back into documents; `importing.upload`:
  an uploaded file, bounded before it is read;
- `tables`: the datapackage's shape, both ways (tables, columns, the quoting rule).
"""

from maillage.directory.hsds.export.documents import (
    HSDS_STATUSES,
    LANGUAGE_NAMES,
    NAMESPACE,
    SCHEME,
    _id,
    _organisation_core,
    _prefetched,
    export_organizations,
    export_services,
    profile_url,
    service_document,
    taxonomy_document,
)
from maillage.directory.hsds.export.tabular import (
    datapackage_descriptor,
    datapackage_files,
    datapackage_zip,
    tabular_rows,
)
from maillage.directory.hsds.importing.documents import ImportReport, import_documents
from maillage.directory.hsds.importing.tabular import import_tabular
from maillage.directory.hsds.importing.upload import import_upload
from maillage.directory.hsds.tables import RESOURCE_SCHEMA, TABLES, restore

__all__ = [
    "HSDS_STATUSES",
    "LANGUAGE_NAMES",
    "NAMESPACE",
    "RESOURCE_SCHEMA",
    "SCHEME",
    "TABLES",
    "ImportReport",
    "_id",
    "_organisation_core",
    "_prefetched",
    "datapackage_descriptor",
    "datapackage_files",
    "datapackage_zip",
    "export_organizations",
    "export_services",
    "import_documents",
    "import_tabular",
    "import_upload",
    "profile_url",
    "restore",
    "service_document",
    "tabular_rows",
    "taxonomy_document",
]
