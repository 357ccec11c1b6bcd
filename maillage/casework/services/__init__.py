"""Every change to case work, one module per workflow; views, imports and commands call these names."""

from maillage.casework.services.activities import delete_report, record_session, save_activity, save_report
from maillage.casework.services.casefiles import (
    close_case_file,
    record_case_file_viewed,
    record_person_viewed,
    reopen_case_file,
    set_workers,
)
from maillage.casework.services.centre import retention_years, set_store_identities, set_worker_subsidy
from maillage.casework.services.followups import (
    FollowUpData,
    RequestData,
    clean_follow_up,
    create_requests,
    current_category,
    record_follow_up,
)
from maillage.casework.services.persons import (
    CODED_FIELDS,
    IDENTITY_FIELDS,
    CheckedPerson,
    DuplicatePerson,
    check_person,
    clean_person_data,
    create_person,
    lock_persons_of,
    similar_persons,
    update_person,
)
from maillage.casework.services.subjects import erase_expired, erase_person, export_person

__all__ = [
    "CODED_FIELDS",
    "IDENTITY_FIELDS",
    "CheckedPerson",
    "DuplicatePerson",
    "FollowUpData",
    "RequestData",
    "check_person",
    "clean_follow_up",
    "clean_person_data",
    "close_case_file",
    "create_person",
    "create_requests",
    "current_category",
    "delete_report",
    "erase_expired",
    "erase_person",
    "export_person",
    "lock_persons_of",
    "record_case_file_viewed",
    "record_follow_up",
    "record_person_viewed",
    "record_session",
    "reopen_case_file",
    "retention_years",
    "save_activity",
    "save_report",
    "set_store_identities",
    "set_worker_subsidy",
    "set_workers",
    "similar_persons",
    "update_person",
]
