"""HSDS 3.0 export and import: organisation/service "full" JSON documents and the tabular datapackage.

- `documents`: the JSON documents (export, API);
- `tabular`: the datapackage's CSV tables, out and back;
- `importing`: documents into the directory, all or nothing;
- `upload`: an uploaded file, bounded before it is read.
"""

from maillage.directory.exchange.documents import (
    HSDS_STATUSES,
    LANGUAGE_NAMES,
    NAMESPACE,
    SCHEME,
    _id,
    _organisation_core,
    _prefetched,
    export_organizations,
    export_services,
    service_document,
    taxonomy_document,
)
from maillage.directory.exchange.importing import ImportReport, import_documents
from maillage.directory.exchange.tabular import (
    RESOURCE_SCHEMA,
    TABLES,
    datapackage_descriptor,
    datapackage_files,
    datapackage_zip,
    import_tabular,
    restore,
    tabular_rows,
)
from maillage.directory.exchange.upload import import_upload

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
    "restore",
    "service_document",
    "tabular_rows",
    "taxonomy_document",
]
