"""Who may reach each view of maillage: the one declaration, checked over every URL pattern.

Beside urls.py because, like it, it names every app's views (core imports no app). The
vocabulary is in maillage/core/access.py; tests/test_access_policy.py requests every pattern as
each role, as a member of another organisation and anonymously, and fails on a pattern that is
not declared here. A new view gets its line here in the same commit.

Reading the declaration: TENANT_OBJECT(roles) — the URL names an object of an organisation, and
only its members holding one of `roles` get in (anyone else signed in: 404); ROLE(roles) — a page
of one's own organisations, for those roles anywhere; reads_identity=True — the page shows
identifying data of a person or a case file and writes one `*.read` audit entry per request.
"""

from __future__ import annotations

from maillage.core.access import (
    ADMIN,
    FEDERATION_STAFF,
    MACHINE_TOKEN,
    OWN_OBJECT,
    PERSONAL_LINK,
    POST_ONLY,
    PUBLIC,
    ROLE,
    SIGNED_IN,
    TENANT_OBJECT,
    THIRD_PARTY,
    Declaration,
    Policy,
    Public,
)
from maillage.core.models import Role

# Every role: "a professional" (the directory shows them colleagues' contacts).
ANY_MEMBER = ROLE(*Role.values)
CASEWORK = (Role.WORKER, Role.COORDINATOR)
# A helpline line is run by an organisation: its responders and its federation staff answer and read calls.
LINE = (Role.RESPONDER, Role.FEDERATION_STAFF, Role.ADMINISTRATOR)
LINE_STAFF = (Role.FEDERATION_STAFF, Role.ADMINISTRATOR)
ORGANISERS = (Role.ORGANISER, Role.FEDERATION_STAFF)
# The directory is curated by the federation: its staff edit every entry, a coordinator their own.
DIRECTORY_EDITOR = TENANT_OBJECT(Role.COORDINATOR, staff_anywhere=True)

CORE: dict[str, Policy] = {
    "core:home": PUBLIC,
    "core:healthz": PUBLIC,
    # For the Prometheus scraper's bearer token only: 404 to every visitor without it.
    "core:metrics": MACHINE_TOKEN,
    "core:set_language": POST_ONLY(PUBLIC),
    "core:members": TENANT_OBJECT(Role.COORDINATOR),
    "core:remove_member": POST_ONLY(TENANT_OBJECT(Role.COORDINATOR)),
    "core:revoke_invitation": POST_ONLY(TENANT_OBJECT(Role.COORDINATOR)),
    # Anyone holding the link sees the invitation; a signed-in person it is not for is refused (audited).
    "core:accept_invitation": PERSONAL_LINK(bad_token=410, signed_in_other=403),
    # Coordinators read their organisation's log, federation staff everyone's.
    "core:audit_log": ROLE(Role.COORDINATOR, *LINE_STAFF),
}

TAXONOMY: dict[str, Policy] = {
    "taxonomy:schemes": FEDERATION_STAFF(),
    # The category picker of every form: anyone signed in.
    "taxonomy:search": SIGNED_IN,
    "taxonomy:create_draft": POST_ONLY(FEDERATION_STAFF(), login_first=False),
    "taxonomy:version": FEDERATION_STAFF(),
    "taxonomy:upload": FEDERATION_STAFF(),
    "taxonomy:download": FEDERATION_STAFF(),
    "taxonomy:mapping": FEDERATION_STAFF(),
    "taxonomy:publish": POST_ONLY(FEDERATION_STAFF(), login_first=False),
    "taxonomy:discard": POST_ONLY(FEDERATION_STAFF(), login_first=False),
    "taxonomy:edit_category": FEDERATION_STAFF(),
    "taxonomy:changes": FEDERATION_STAFF(),
}

DIRECTORY: dict[str, Policy] = {
    "directory:search": PUBLIC,
    "directory:pro": ANY_MEMBER,
    "directory:service_new": ROLE(Role.COORDINATOR, *LINE_STAFF),
    # A published service is public; a draft only to its editors.
    "directory:service": PUBLIC,
    "directory:service_edit": DIRECTORY_EDITOR,
    "directory:hours": DIRECTORY_EDITOR,
    "directory:schedule_delete": POST_ONLY(DIRECTORY_EDITOR),
    "directory:closure_add": DIRECTORY_EDITOR,
    "directory:contacts": DIRECTORY_EDITOR,
    "directory:status": DIRECTORY_EDITOR,
    "directory:verify": POST_ONLY(DIRECTORY_EDITOR),
    "directory:worker_new": DIRECTORY_EDITOR,
    "directory:worker_edit": DIRECTORY_EDITOR,
    "directory:history": DIRECTORY_EDITOR,
    "directory:location_hours": DIRECTORY_EDITOR,
    "directory:location_schedule_delete": POST_ONLY(DIRECTORY_EDITOR),
    "directory:location_closure_add": DIRECTORY_EDITOR,
    "directory:status_board": PUBLIC,
    "directory:changes": PUBLIC,
    "directory:subscribe": POST_ONLY(ANY_MEMBER),
    # A subscription is its owner's alone.
    "directory:unsubscribe": POST_ONLY(OWN_OBJECT),
    "directory:organisations": ROLE(Role.COORDINATOR, *LINE_STAFF),
    "directory:organisation_new": ROLE(Role.COORDINATOR, *LINE_STAFF),
    "directory:organisation_edit": DIRECTORY_EDITOR,
    "directory:feed": PUBLIC,
    "directory:sheet": PUBLIC,
    "directory:sheet_pdf": PUBLIC,
    "directory:export_json": PUBLIC,
    "directory:export_datapackage": PUBLIC,
    "directory:import": FEDERATION_STAFF(),
    # The people of the network: signed-in professionals; a card or a network's members are audited reads.
    "directory:people": ANY_MEMBER,
    "directory:my_card": ANY_MEMBER,
    "directory:stale_cards": FEDERATION_STAFF(reads_identity=True),
    "directory:worker_card": ROLE(*Role.values, reads_identity=True),
    "directory:network": ROLE(*Role.values, reads_identity=True),
    "directory:quartier": ANY_MEMBER,
    "directory:map": PUBLIC,
    "directory:map_data": PUBLIC,
    "directory:map_pro_data": ROLE(*Role.values, reads_identity=True),
    # Anyone may suggest a correction (rate-limited); the service's editors moderate.
    "directory:suggest": PUBLIC,
    "directory:suggestions": DIRECTORY_EDITOR,
    "directory:moderate": POST_ONLY(DIRECTORY_EDITOR),
    # The yearly "still accurate?" email's signed link: GET shows a button, POST confirms once.
    "directory:confirm": PERSONAL_LINK(),
    "directory:to_verify": FEDERATION_STAFF(),
    # A coordinator claims an entry nobody keeps (no organisation yet); the federation decides.
    "directory:claim": POST_ONLY(ROLE(Role.COORDINATOR)),
    "directory:approve_claim": POST_ONLY(FEDERATION_STAFF()),
    # The public HSDS API: published services only.
    "directory:api:openapi-json": PUBLIC,
    # django-ninja's root, with its interactive docs switched off: nothing there, for anyone.
    "directory:api:api-root": Public(ok=404),
    "directory:api:list_services": PUBLIC,
    "directory:api:get_service": PUBLIC,
    "directory:api:list_organizations": PUBLIC,
    "directory:api:get_organization": PUBLIC,
    "directory:api:list_taxonomies": PUBLIC,
    "directory:api:list_taxonomy_terms": PUBLIC,
    # The Brussels profile of HSDS (Markdown), linked from the exports.
    "directory:api:hsds_profile": PUBLIC,
}

HELPLINE: dict[str, Policy] = {
    "helpline:home": ROLE(*LINE, ok=302),
    "helpline:calls": ROLE(*LINE),
    "helpline:call_new": ROLE(*LINE),
    "helpline:call_detail": TENANT_OBJECT(*LINE),
    "helpline:call_edit": TENANT_OBJECT(*LINE),
    "helpline:request_row": ROLE(*LINE),
    "helpline:category_options": ROLE(*LINE),
    "helpline:postal_options": ROLE(*LINE),
    "helpline:referral_options": ROLE(*LINE),
    "helpline:callbacks": ROLE(*LINE),
    "helpline:callback_done": POST_ONLY(TENANT_OBJECT(*LINE)),
    "helpline:shifts": ROLE(*LINE),
    "helpline:my_shift": ROLE(*LINE),
    "helpline:debriefing": TENANT_OBJECT(*LINE),
    "helpline:debriefings": ROLE(*LINE_STAFF),
    "helpline:hours": ROLE(*LINE),
    "helpline:calendar": ROLE(*LINE),
    "helpline:import": ROLE(*LINE_STAFF),
    "helpline:import_status": TENANT_OBJECT(*LINE_STAFF),
    "helpline:import_restart": POST_ONLY(TENANT_OBJECT(*LINE_STAFF)),
    "helpline:reference_give": POST_ONLY(TENANT_OBJECT(*LINE)),
    "helpline:reference_lookup": ROLE(*LINE),
    # The directory's coordinators read the unanswered needs of the communes their services serve.
    "helpline:unmet_needs": ROLE(Role.COORDINATOR, *LINE_STAFF),
    "helpline:rota_month": ROLE(*LINE),
    "helpline:rota_coverage": ROLE(*LINE_STAFF),
    "helpline:rota_generate": POST_ONLY(ROLE(*LINE_STAFF)),
    "helpline:rota_take": POST_ONLY(ROLE(*LINE)),
    "helpline:rota_changes": ROLE(*LINE),
    "helpline:rota_now": ROLE(*LINE_STAFF),
    "helpline:rota_feed_new": POST_ONLY(ROLE(*LINE)),
    "helpline:rota_feed_revoke": POST_ONLY(OWN_OBJECT),
    # An iCalendar feed: its unguessable token is the key (calendar apps cannot sign in); revocable.
    "helpline:rota_feed": PERSONAL_LINK(),
    "helpline:thermometer": ROLE(*LINE_STAFF),
}

CASEWORK_VIEWS: dict[str, Policy] = {
    # The list shows pseudonymised references only.
    "casework:case_files": ROLE(*CASEWORK),
    "casework:person_create": ROLE(*CASEWORK),
    "casework:case_file": TENANT_OBJECT(*CASEWORK, reads_identity=True),
    "casework:person_edit": TENANT_OBJECT(*CASEWORK, reads_identity=True),
    # The encoding page shows the last follow-ups.
    "casework:followup_create": TENANT_OBJECT(*CASEWORK, reads_identity=True),
    "casework:request_row": TENANT_OBJECT(*CASEWORK),
    "casework:case_file_close": POST_ONLY(TENANT_OBJECT(*CASEWORK)),
    # Handing a case file over: its coordinator or a worker in charge.
    "casework:case_file_workers": POST_ONLY(TENANT_OBJECT(Role.COORDINATOR, in_charge=True)),
    "casework:case_file_reopen": POST_ONLY(TENANT_OBJECT(*CASEWORK)),
    # Names and contacts: the workers in charge and the coordinator, not their colleagues.
    "casework:person_export": TENANT_OBJECT(Role.COORDINATOR, in_charge=True, reads_identity=True),
    "casework:person_erase": TENANT_OBJECT(Role.COORDINATOR, reads_identity=True),
    "casework:settings": TENANT_OBJECT(Role.COORDINATOR),
    "casework:activities": ROLE(*CASEWORK),
    "casework:activity_create": ROLE(*CASEWORK),
    "casework:activity": TENANT_OBJECT(*CASEWORK),
    "casework:activity_edit": TENANT_OBJECT(*CASEWORK),
    "casework:import": ROLE(Role.COORDINATOR),
    "casework:import_mapping": ROLE(Role.COORDINATOR),
    "casework:import_run": TENANT_OBJECT(Role.COORDINATOR),
    "casework:import_start_again": POST_ONLY(TENANT_OBJECT(Role.COORDINATOR)),
}

EVENTS: dict[str, Policy] = {
    "events:list": PUBLIC,
    # The GET only shows a button (mail scanners follow links); the POST checks the token.
    "events:confirm": PERSONAL_LINK(checks_on_get=False),
    "events:participant": PERSONAL_LINK(),
    "events:participant_register": POST_ONLY(PERSONAL_LINK()),
    # The GET asks for a confirmation; the POST cancels.
    "events:participant_cancel": PERSONAL_LINK(),
    "events:participant_accept": POST_ONLY(PERSONAL_LINK()),
    "events:certificate": PERSONAL_LINK(),
    # The QR code at the door: an organiser of the event signed in, with a valid code.
    "events:checkin_scan": TENANT_OBJECT(*ORGANISERS),
    "events:rapporteur": PERSONAL_LINK(),
    # Lists the events the visitor manages (none for most people).
    "events:manage_list": SIGNED_IN,
    "events:new_event": ROLE(*ORGANISERS),
    "events:manage_event": TENANT_OBJECT(*ORGANISERS),
    "events:edit_event": TENANT_OBJECT(*ORGANISERS),
    # One theme, group or session of a managed event; removing asks for a confirmation (GET), the POST acts.
    "events:edit_part": TENANT_OBJECT(*ORGANISERS),
    "events:remove_part": TENANT_OBJECT(*ORGANISERS),
    # The GET asks for a confirmation (refuse, cancel); the POST acts.
    "events:manage_registration": TENANT_OBJECT(*ORGANISERS),
    "events:manage_groups": TENANT_OBJECT(*ORGANISERS),
    "events:move_registration": POST_ONLY(TENANT_OBJECT(*ORGANISERS)),
    "events:door": TENANT_OBJECT(*ORGANISERS),
    "events:attendance_csv": TENANT_OBJECT(*ORGANISERS),
    "events:manage_certificate": TENANT_OBJECT(*ORGANISERS),
    "events:message": TENANT_OBJECT(*ORGANISERS),
    "events:send_invitations": POST_ONLY(TENANT_OBJECT(*ORGANISERS)),
    "events:notes": TENANT_OBJECT(*ORGANISERS),
    "events:synthesis": TENANT_OBJECT(*ORGANISERS),
    "events:synthesis_point": TENANT_OBJECT(*ORGANISERS),
    "events:recommendations": TENANT_OBJECT(*ORGANISERS),
    "events:recommendation": TENANT_OBJECT(*ORGANISERS),
    "events:book": TENANT_OBJECT(*ORGANISERS),
    "events:book_pdf": TENANT_OBJECT(*ORGANISERS),
    # Names and absences of the participants: each visit audited.
    "events:attendance": TENANT_OBJECT(*ORGANISERS, reads_identity=True),
    "events:publish_book": POST_ONLY(TENANT_OBJECT(*ORGANISERS)),
    "events:follow_up": TENANT_OBJECT(*ORGANISERS),
    "events:move_session": TENANT_OBJECT(*ORGANISERS),
    # GET is the confirmation step; the POST cancels.
    "events:cancel_session": TENANT_OBJECT(*ORGANISERS),
    "events:cancel_scheduled": POST_ONLY(TENANT_OBJECT(*ORGANISERS)),
    # Every email the outbox recorded (addresses and subjects, never bodies): the federation's staff only.
    "events:outbox": FEDERATION_STAFF(),
    # A published book and its follow-up are public at a stable address (404 until published).
    "events:public_book": PUBLIC,
    "events:public_book_pdf": PUBLIC,
    "events:public_follow_up": PUBLIC,
    "events:event": PUBLIC,
    # Without a registration in this browser's session it sends back to the event's page.
    "events:registered": Public(ok=302),
}

SURVEYS: dict[str, Policy] = {
    # The open surveys of the visitor and the links of their organisations.
    "surveys:my_surveys": SIGNED_IN,
    # The builder, results, per-organisation answers, exports and trends: federation staff.
    "surveys:manage_list": FEDERATION_STAFF(),
    "surveys:new_survey": FEDERATION_STAFF(),
    "surveys:manage_survey": FEDERATION_STAFF(),
    "surveys:edit_question": FEDERATION_STAFF(),
    "surveys:move_question": POST_ONLY(FEDERATION_STAFF(), login_first=False),
    "surveys:delete_question": POST_ONLY(FEDERATION_STAFF(), login_first=False),
    "surveys:invite": FEDERATION_STAFF(),
    "surveys:remind": POST_ONLY(FEDERATION_STAFF(), login_first=False),
    "surveys:new_wave": FEDERATION_STAFF(),
    "surveys:results": FEDERATION_STAFF(),
    # Each organisation's own answers (audited, not kept by the browser).
    "surveys:organisation_answers": FEDERATION_STAFF(reads_identity=True),
    "surveys:export": FEDERATION_STAFF(),
    "surveys:trend": FEDERATION_STAFF(),
    # An organisation's personal link: anyone holding it (a colleague), but a member of another organisation: 403.
    "surveys:answer_organisation": PERSONAL_LINK(),
    "surveys:shared_results": PERSONAL_LINK(),
    "surveys:answer_public": PERSONAL_LINK(),
    "surveys:resume_public": PERSONAL_LINK(),
    "surveys:answer_worker": SIGNED_IN,
}

NEWSLETTERS: dict[str, Policy] = {
    "newsletters:subscribe": PUBLIC,
    "newsletters:archive": PUBLIC,
    "newsletters:archived_edition": PUBLIC,
    # The links of every email: the subscriber's token is the key; the GETs change nothing.
    "newsletters:confirm": PERSONAL_LINK(),
    "newsletters:preferences": PERSONAL_LINK(),
    # Also RFC 8058's one-click POST from mail programs (no cookie, no CSRF token).
    "newsletters:unsubscribe": PERSONAL_LINK(),
    "newsletters:manage": FEDERATION_STAFF(),
    "newsletters:import": FEDERATION_STAFF(),
    "newsletters:new_edition": FEDERATION_STAFF(),
    "newsletters:edition": FEDERATION_STAFF(),
    "newsletters:preview": FEDERATION_STAFF(),
}

STATS: dict[str, Policy] = {
    # Helpline reports: the federation staff of the line (aggregates, never a call's text).
    "stats:helpline_index": ROLE(*LINE_STAFF),
    "stats:helpline_weekly": ROLE(*LINE_STAFF),
    "stats:helpline_bilan": ROLE(*LINE_STAFF),
    "stats:helpline_research_export": ROLE(*LINE_STAFF),
    # A long export written by the task worker: queued by a form; its page and file answer its author only
    # (a colleague, a forwarded link: 404; tests/stats/test_export_runs.py).
    "stats:helpline_research_export_start": POST_ONLY(ROLE(*LINE_STAFF)),
    "stats:helpline_export_run": TENANT_OBJECT(*LINE_STAFF),
    "stats:helpline_export_download": TENANT_OBJECT(*LINE_STAFF),
    # A centre's cross-tab: its workers and coordinators; the sector view: federation staff, small cells hidden.
    "stats:casework_crosstab": ROLE(*CASEWORK),
    "stats:casework_report_save": POST_ONLY(ROLE(*CASEWORK)),
    "stats:casework_report_delete": POST_ONLY(TENANT_OBJECT(*CASEWORK)),
    "stats:casework_sector": FEDERATION_STAFF(),
}

SECTOR: dict[str, Policy] = {
    # A member centre's figures against the sector (no other centre named): its workers and coordinators.
    "sector:centre": ROLE(*CASEWORK),
    "sector:my_year": ROLE(*CASEWORK),
    "sector:declare_complete": POST_ONLY(ROLE(Role.COORDINATOR)),
    "sector:submit_figures": ROLE(Role.COORDINATOR),
    "sector:figures_template": ROLE(Role.COORDINATOR),
    # A centre's annex of the report: a signed link that opens only for a signed-in member of that centre.
    "sector:annex": TENANT_OBJECT(*CASEWORK),
    # The year's cycle, the meeting's comments and the annual report: federation staff.
    "sector:cycle": FEDERATION_STAFF(),
    "sector:open_year": POST_ONLY(FEDERATION_STAFF()),
    "sector:close_year": POST_ONLY(FEDERATION_STAFF()),
    "sector:comments": FEDERATION_STAFF(),
    "sector:reports": FEDERATION_STAFF(),
    "sector:report": FEDERATION_STAFF(),
    "sector:report_pdf": FEDERATION_STAFF(),
    "sector:annex_revoke": POST_ONLY(FEDERATION_STAFF()),
}

# The admin's own sign-in and sign-out pages, open to anyone.
ADMIN_DOORS: dict[str, Policy] = {
    "admin:login": THIRD_PARTY("django.contrib.admin"),
    "admin:logout": THIRD_PARTY("django.contrib.admin"),
}

POLICY = Declaration(
    by_name={**CORE, **TAXONOMY, **DIRECTORY, **HELPLINE, **CASEWORK_VIEWS, **EVENTS, **STATS, **SECTOR, **ADMIN_DOORS},
    by_prefix={
        # Django's admin decides inside (each model admin); outside, only its own sign-in page.
        "admin/": ADMIN,
        # allauth's sign-in, password, second-factor and sessions pages follow allauth's own rules.
        "accounts/": THIRD_PARTY("allauth"),
    },
)

# Surveys and newsletters, added to the declaration above.
POLICY = Declaration(by_name={**POLICY.by_name, **SURVEYS, **NEWSLETTERS}, by_prefix=POLICY.by_prefix)
