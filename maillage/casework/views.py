"""Case-work screens: thin views that parse, call a service and render."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.casework import imports, queries, services
from maillage.casework.forms import (
    ActivityForm,
    CentreSettingsForm,
    CloseForm,
    ColumnMappingForm,
    FollowUpForm,
    ImportForm,
    PersonForm,
    RequestFormSet,
    SessionForm,
    WorkersForm,
    WorkerSubsidiesForm,
)
from maillage.casework.models import AXES, CaseFile, ImportKind, ImportProfile, ImportRun, Person, WorkerSubsidy
from maillage.core import partitions
from maillage.core.forms import add_service_error
from maillage.core.models import Organisation, User
from maillage.core.parsing import bad_parameters_answer_400, clean_query_text, parse_int
from maillage.core.submission import create_once, previous_result
from maillage.core.tenancy import get_object_for_user_or_404
from maillage.taxonomy.queries import active_categories


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _centre(request: HttpRequest) -> Organisation:
    """The centre the person works in (the first one; the picker chooses among several)."""
    centres = list(queries.casework_organisations(request.user).order_by("short_name"))
    if not centres:
        raise Http404
    chosen = request.GET.get("centre") or request.POST.get("centre") or request.session.get("casework_centre")
    for centre in centres:
        if str(centre.pk) == str(chosen):
            request.session["casework_centre"] = centre.pk
            return centre
    return centres[0]


def _coordinated_centre(request: HttpRequest, organisation_id: int) -> Organisation:
    if not queries.is_coordinator_of(request.user, organisation_id):
        raise Http404
    return Organisation.objects.get(pk=organisation_id)


@login_required
@bad_parameters_answer_400
def case_file_list(request: HttpRequest) -> HttpResponse:
    centre = _centre(request)
    text = clean_query_text(request.GET.get("q"), max_length=100)
    open_only = request.GET.get("open") == "1"
    files = queries.case_file_list(request.user, text=text, open_only=open_only).filter(organisation=centre)[:100]
    template = "casework/_case_file_rows.html" if _htmx(request) else "casework/case_file_list.html"
    return render(
        request,
        template,
        {
            "centre": centre,
            "files": files,
            "q": text,
            "open_only": open_only,
            "is_coordinator": queries.is_coordinator_of(request.user, centre.pk),
        },
    )


@login_required
def person_create(request: HttpRequest) -> HttpResponse:
    centre = _centre(request)
    store = queries.store_identities(centre)
    if request.method == "POST" and (repeat := previous_result(request, "casework.person")) is not None:
        return repeat.redirect(request)
    form = PersonForm(request.POST or None, store_identities=store)
    duplicates: list[Person] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = _user(request)
        try:
            outcome = create_once(
                request,
                "casework.person",
                lambda: services.create_person(user, centre, data, allow_similar=bool(data.get("confirm_new"))),
                _describe_case_file,
            )
        except services.DuplicatePerson as duplicate:
            duplicates = duplicate.similar
            form.add_error(
                None,
                _(
                    "A similar person already exists in your centre. Open their case file, or tick the box to create a new person."
                ),
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if outcome.repeated:
                return outcome.redirect(request)
            case_file = outcome.result
            assert case_file is not None
            messages.success(
                request, _("Case file of %(reference)s opened.") % {"reference": case_file.person.reference}
            )
            return redirect("casework:followup_create", case_file_id=case_file.pk)
    return render(request, "casework/person_form.html", {"form": form, "centre": centre, "duplicates": duplicates})


def _describe_case_file(case_file: CaseFile) -> tuple[str, str]:
    return (
        reverse("casework:followup_create", args=[case_file.pk]),
        _("The case file of %(reference)s was already saved.") % {"reference": case_file.person.reference},
    )


def _case_file(request: HttpRequest, case_file_id: int) -> CaseFile:
    return get_object_for_user_or_404(queries.case_files_visible_to(request.user), pk=case_file_id)


@login_required
def case_file_detail(request: HttpRequest, case_file_id: int) -> HttpResponse:
    case_file = _case_file(request, case_file_id)
    user = _user(request)
    services.record_case_file_viewed(user, case_file)
    followups = list(queries.followups_of(case_file))
    for follow_up in followups:
        follow_up.note_visible = queries.can_read_note(user, follow_up)  # type: ignore[attr-defined]
    return render(
        request,
        "casework/case_file_detail.html",
        {
            "case_file": case_file,
            "person": case_file.person,
            "followups": followups,
            "show_identity": queries.can_see_identity(user, case_file.person, case_file),
            "is_coordinator": queries.is_coordinator_of(user, case_file.organisation_id),
            "close_form": CloseForm(initial={"closed_on": timezone.localdate()}),
            "workers_form": WorkersForm(
                organisation=case_file.organisation, initial={"workers": list(case_file.workers.all())}
            ),
        },
    )


@login_required
def person_edit(request: HttpRequest, case_file_id: int) -> HttpResponse:
    case_file = _case_file(request, case_file_id)
    person = case_file.person
    user = _user(request)
    store = queries.store_identities(case_file.organisation) and queries.can_see_identity(user, person, case_file)
    initial = {key: getattr(person, key) for key in (*services.CODED_FIELDS, *services.IDENTITY_FIELDS)}
    form = PersonForm(request.POST or None, store_identities=store, initial=initial)
    form.fields.pop("confirm_new")
    if request.method == "POST" and form.is_valid():
        try:
            services.update_person(user, person, form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("casework:case_file", case_file_id=case_file.pk)
    services.record_person_viewed(user, person, "person_edit")  # the form is prefilled with their data
    return render(
        request, "casework/person_form.html", {"form": form, "centre": case_file.organisation, "case_file": case_file}
    )


def _encoding_context(request: HttpRequest, case_file: CaseFile, form: FollowUpForm, formset: Any) -> dict[str, Any]:
    """What the encoding page shows, previous follow-ups included: its one read entry is written here."""
    user = _user(request)
    services.record_case_file_viewed(user, case_file, "followup_form")
    datalists = {}
    for axis in AXES:
        recent = queries.recent_category_ids(user, case_file.organisation, axis)
        datalists[axis] = queries.category_choices(axis, recent)
    return {
        "case_file": case_file,
        "person": case_file.person,
        "form": form,
        "formset": formset,
        "datalists": datalists,
        "last_followups": list(queries.followups_of(case_file)[:3]),
    }


def _initial_requests(case_file: CaseFile) -> list[dict[str, Any]]:
    def text(category: Any) -> str:
        return f"{category.code} — {category.label}" if category is not None else ""

    return [
        {"theme": text(r.theme), "institution": text(r.institution), "stage": text(r.stage), "is_open": True}
        for r in queries.open_requests_of_last_followup(case_file)
    ]


def _fresh_encoding(request: HttpRequest, case_file: CaseFile, message: str) -> HttpResponse:
    """htmx: an empty encoding form (with a new submission key) under the message of what was saved."""
    form = FollowUpForm(
        initial={"date": timezone.localdate(), "worker": _user(request)}, organisation=case_file.organisation
    )
    formset = RequestFormSet(prefix="requests", initial=_initial_requests(case_file))
    context = _encoding_context(request, case_file, form, formset)
    context["saved_message"] = message
    return render(request, "casework/_followup_encoding.html", context)


def _follow_up_data(cleaned: dict[str, Any]) -> services.FollowUpData:
    return services.FollowUpData(
        date=cleaned["date"],
        mode=cleaned["mode"],
        worker=cleaned["worker"],
        duration=cleaned["duration"],
        subsidy_id=cleaned["subsidy"].pk if cleaned["subsidy"] else None,
        actions=cleaned["actions"],
        referred_to=cleaned["referred_to"],
        referred_service_id=cleaned["referred_service"].pk if cleaned["referred_service"] else None,
        aid_amount=cleaned["aid_amount"],
        note=cleaned["note"],
    )


@login_required
@bad_parameters_answer_400
def followup_create(request: HttpRequest, case_file_id: int) -> HttpResponse:
    case_file = _case_file(request, case_file_id)
    user = _user(request)
    if request.method == "POST" and "add_request" in request.POST:
        # Without JavaScript: one more request row, nothing saved yet.
        data = request.POST.copy()
        total = parse_int(data.get("requests-TOTAL_FORMS"), name="requests", maximum=50, default=1) or 1
        data["requests-TOTAL_FORMS"] = str(min(total + 1, 50))
        form = FollowUpForm(data, organisation=case_file.organisation)
        formset = RequestFormSet(data, prefix="requests")
        return render(request, "casework/followup_form.html", _encoding_context(request, case_file, form, formset))
    if request.method == "POST":
        # "Save the follow-up" pressed again after saving: the first follow-up answers, no second one.
        repeat = previous_result(request, "casework.followup")
        if repeat is not None:
            return _fresh_encoding(request, case_file, repeat.message) if _htmx(request) else repeat.redirect(request)
        form = FollowUpForm(request.POST, organisation=case_file.organisation)
        formset = RequestFormSet(request.POST, prefix="requests")
        if form.is_valid() and formset.is_valid():
            requests = [
                services.RequestData(
                    theme=f.cleaned_data["theme"],
                    institution=f.cleaned_data["institution"],
                    stage=f.cleaned_data["stage"],
                    is_open=f.cleaned_data["is_open"],
                )
                for f in formset.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
            follow_up_data = _follow_up_data(form.cleaned_data)
            try:
                outcome = create_once(
                    request,
                    "casework.followup",
                    lambda: services.record_follow_up(
                        user, case_file, follow_up_data, requests, allow_same=form.cleaned_data["confirm_same"]
                    ),
                    lambda follow_up: (
                        reverse("casework:case_file", args=[case_file.pk]),
                        _("The follow-up of %(date)s was already saved.")
                        % {"date": follow_up.date.strftime("%d/%m/%Y")},
                    ),
                )
            except ValidationError as error:
                add_service_error(form, error)
            except IntegrityError as error:  # a year without partition (PostgreSQL): nothing written
                if not partitions.is_missing_partition(error):
                    raise
                form.add_error("date", partitions.refusal_message(partitions.CASEWORK, follow_up_data.date))
            else:
                if outcome.repeated:
                    if _htmx(request):
                        return _fresh_encoding(request, case_file, outcome.message)
                    return outcome.redirect(request)
                follow_up = outcome.result
                assert follow_up is not None
                message = _("Follow-up of %(date)s recorded with %(count)s request(s).") % {
                    "date": follow_up.date.strftime("%d/%m/%Y"),
                    "count": len(requests),
                }
                if _htmx(request):
                    return _fresh_encoding(request, case_file, message)
                messages.success(request, message)
                return redirect("casework:case_file", case_file_id=case_file.pk)
    else:
        form = FollowUpForm(initial={"date": timezone.localdate(), "worker": user}, organisation=case_file.organisation)
        formset = RequestFormSet(prefix="requests", initial=_initial_requests(case_file))
    template = "casework/_followup_encoding.html" if _htmx(request) else "casework/followup_form.html"
    return render(request, template, _encoding_context(request, case_file, form, formset))


@login_required
@bad_parameters_answer_400
def request_row(request: HttpRequest, case_file_id: int) -> HttpResponse:
    """htmx: one empty request row, numbered after the existing ones."""
    _case_file(request, case_file_id)
    index = parse_int(request.GET.get("index"), name="index", maximum=50, default=0) or 0
    formset = RequestFormSet(prefix="requests")
    form = formset.form(prefix=formset.add_prefix(index), empty_permitted=True, use_required_attribute=False)
    formset.add_fields(form, index)
    return render(
        request,
        "casework/_request_row.html",
        {"request_form": form, "index": index, "next_index": index + 1, "case_file_id": case_file_id},
    )


@login_required
@require_POST
def case_file_close(request: HttpRequest, case_file_id: int) -> HttpResponse:
    """Closing asks first: the detail page's form leads to a confirmation page, whose button closes."""
    case_file = _case_file(request, case_file_id)
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a closing date and a reason."))
        return redirect("casework:case_file", case_file_id=case_file.pk)
    if request.POST.get("confirmed") != "1":
        return render(request, "casework/case_file_close.html", {"case_file": case_file, "form": form})
    try:
        services.close_case_file(_user(request), case_file, form.cleaned_data["closed_on"], form.cleaned_data["reason"])
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Case file closed."))
    return redirect("casework:case_file", case_file_id=case_file.pk)


@login_required
@require_POST
def case_file_workers(request: HttpRequest, case_file_id: int) -> HttpResponse:
    """The coordinator (or a worker in charge) hands the case file to colleagues."""
    case_file = _case_file(request, case_file_id)
    user = _user(request)
    if not (queries.is_coordinator_of(user, case_file.organisation_id) or user in case_file.workers.all()):
        raise Http404
    form = WorkersForm(request.POST, organisation=case_file.organisation)
    if form.is_valid():
        services.set_workers(user, case_file, form.cleaned_data["workers"])
        messages.success(request, _("Saved."))
    else:
        messages.error(request, _("Choose at least one worker in charge."))
    return redirect("casework:case_file", case_file_id=case_file.pk)


@login_required
@require_POST
def case_file_reopen(request: HttpRequest, case_file_id: int) -> HttpResponse:
    case_file = _case_file(request, case_file_id)
    services.reopen_case_file(_user(request), case_file)
    messages.success(request, _("Case file reopened."))
    return redirect("casework:case_file", case_file_id=case_file.pk)


@login_required
def person_export(request: HttpRequest, case_file_id: int) -> HttpResponse:
    case_file = _case_file(request, case_file_id)
    user = _user(request)
    if not queries.can_see_identity(user, case_file.person, case_file):
        raise Http404
    data = services.export_person(user, case_file.person)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False, default=str), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{case_file.person.reference}.json"'
    return response


@login_required
def person_erase(request: HttpRequest, case_file_id: int) -> HttpResponse:
    case_file = _case_file(request, case_file_id)
    if not queries.is_coordinator_of(request.user, case_file.organisation_id):
        raise Http404
    if request.method == "POST":
        services.erase_person(_user(request), case_file.person)
        messages.success(request, _("Identifying data erased; the coded follow-ups stay for anonymous statistics."))
        return redirect("casework:case_file", case_file_id=case_file.pk)
    services.record_person_viewed(_user(request), case_file.person, "person_erase")
    return render(request, "casework/person_erase.html", {"case_file": case_file})


@login_required
def centre_settings(request: HttpRequest, organisation_id: int) -> HttpResponse:
    centre = _coordinated_centre(request, organisation_id)
    workers = list(
        User.objects.filter(
            memberships__organisation=centre, memberships__role__in=queries.CASEWORK_ROLES, memberships__is_active=True
        ).distinct()
    )
    current = dict(WorkerSubsidy.objects.filter(organisation=centre).values_list("worker_id", "subsidy_id"))
    posted = request.POST if request.method == "POST" else None
    form = CentreSettingsForm(
        posted if posted and "store" in posted else None, initial={"store_identities": queries.store_identities(centre)}
    )
    subsidies_form = WorkerSubsidiesForm(
        posted if posted and "subsidies" in posted else None, workers=workers, current=current
    )
    if form.is_bound and form.is_valid():
        services.set_store_identities(_user(request), centre, form.cleaned_data["store_identities"])
        messages.success(request, _("Saved."))
        return redirect("casework:settings", organisation_id=centre.pk)
    if subsidies_form.is_bound and subsidies_form.is_valid():
        for worker in workers:
            chosen = subsidies_form.cleaned_data[f"worker_{worker.pk}"]
            if (int(chosen) if chosen else None) != current.get(worker.pk):
                services.set_worker_subsidy(_user(request), centre, worker, int(chosen) if chosen else None)
        messages.success(request, _("Saved."))
        return redirect("casework:settings", organisation_id=centre.pk)
    return render(request, "casework/settings.html", {"form": form, "subsidies_form": subsidies_form, "centre": centre})


# Collective activities -----------------------------------------------------------------------------------


@login_required
def activity_list(request: HttpRequest) -> HttpResponse:
    centre = _centre(request)
    activities = queries.activities_visible_to(request.user).filter(organisation=centre)
    return render(request, "casework/activity_list.html", {"centre": centre, "activities": activities})


@login_required
def activity_edit(request: HttpRequest, activity_id: int | None = None) -> HttpResponse:
    activity = None
    if activity_id is not None:
        activity = get_object_for_user_or_404(queries.activities_visible_to(request.user), pk=activity_id)
        centre = activity.organisation
    else:
        centre = _centre(request)
    if activity is None and request.method == "POST" and (repeat := previous_result(request, "casework.activity")):
        return repeat.redirect(request)
    form = ActivityForm(request.POST or None, instance=activity, organisation=centre)
    if request.method == "POST" and form.is_valid():
        user, data = _user(request), form.cleaned_data
        if activity is None:
            outcome = create_once(
                request,
                "casework.activity",
                lambda: services.save_activity(user, centre, data),
                lambda saved: (
                    reverse("casework:activity", args=[saved.pk]),
                    _("The activity %(title)s was already saved.") % {"title": saved.title},
                ),
            )
            if outcome.repeated:
                return outcome.redirect(request)
            saved = outcome.result
            assert saved is not None
        else:
            saved = services.save_activity(user, centre, data, activity)
        messages.success(request, _("Activity saved."))
        return redirect("casework:activity", activity_id=saved.pk)
    return render(request, "casework/activity_form.html", {"form": form, "activity": activity, "centre": centre})


@login_required
def activity_detail(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = get_object_for_user_or_404(queries.activities_visible_to(request.user), pk=activity_id)
    if request.method == "POST" and (repeat := previous_result(request, "casework.session")) is not None:
        return repeat.redirect(request)
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user, cleaned = _user(request), form.cleaned_data
        try:
            outcome = create_once(
                request,
                "casework.session",
                lambda: services.record_session(user, activity, cleaned["date"], cleaned["duration"], form.counts()),
                lambda session: (
                    reverse("casework:activity", args=[activity.pk]),
                    _("The session of %(date)s was already saved.") % {"date": session.date.strftime("%d/%m/%Y")},
                ),
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if outcome.repeated:
                return outcome.redirect(request)
            messages.success(request, _("Session recorded."))
            return redirect("casework:activity", activity_id=activity.pk)
    sessions = activity.sessions.prefetch_related("participations")
    return render(request, "casework/activity_detail.html", {"activity": activity, "sessions": sessions, "form": form})


# Imports -----------------------------------------------------------------------------------------------


@login_required
def import_start(request: HttpRequest) -> HttpResponse:
    centre = _centre(request)
    if not queries.is_coordinator_of(request.user, centre.pk):
        raise Http404
    if request.method == "POST" and (repeat := previous_result(request, "casework.import")) is not None:
        return repeat.redirect(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        user, cleaned = _user(request), form.cleaned_data
        outcome = create_once(
            request,
            "casework.import",
            lambda: imports.start_import(user, centre, cleaned["kind"], cleaned["file"]),
            lambda run: (
                reverse("casework:import_run", args=[run.pk]),
                _("The import of %(name)s was already started.") % {"name": run.filename},
            ),
        )
        if outcome.repeated:
            return outcome.redirect(request)
        assert outcome.result is not None
        return redirect("casework:import_run", run_id=outcome.result.pk)
    imports.give_up_stale_runs(ImportRun.objects.filter(organisation=centre))
    runs = ImportRun.objects.filter(organisation=centre)[:10]
    return render(request, "casework/import_start.html", {"form": form, "centre": centre, "runs": runs})


@login_required
def import_mapping(request: HttpRequest, kind: str) -> HttpResponse:
    centre = _centre(request)
    if not queries.is_coordinator_of(request.user, centre.pk) or kind not in ImportKind.values:
        raise Http404
    fields = imports.FIELDS[kind]
    profile = ImportProfile.objects.filter(organisation=centre, kind=kind).first()
    initial = {name: (profile.columns.get(name) if profile else name) for name, _label in fields}
    form = ColumnMappingForm(request.POST or None, fields=[(n, str(label)) for n, label in fields], initial=initial)
    if request.method == "POST" and form.is_valid():
        imports.save_profile(_user(request), centre, kind, form.cleaned_data)
        messages.success(request, _("Column mapping saved."))
        return redirect("casework:import")
    return render(
        request,
        "casework/import_mapping.html",
        {"form": form, "centre": centre, "kind": kind, "categories_help": active_categories(AXES["theme"]).exists()},
    )


@login_required
def import_run(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_for_user_or_404(
        ImportRun.objects.filter(organisation_id__in=queries.casework_organisation_ids(request.user)), pk=run_id
    )
    if not queries.is_coordinator_of(request.user, run.organisation_id):
        raise Http404
    if not run.is_finished and imports.give_up_stale_runs(ImportRun.objects.filter(pk=run.pk)):
        run.refresh_from_db()
    template = "casework/_import_progress.html" if _htmx(request) else "casework/import_run.html"
    return render(request, template, {"run": run})


@login_required
@require_POST
def import_start_again(request: HttpRequest, run_id: int) -> HttpResponse:
    """A failed run started again with its kept file; without it, the file is asked for again."""
    run = get_object_for_user_or_404(
        ImportRun.objects.filter(organisation_id__in=queries.casework_organisation_ids(request.user)), pk=run_id
    )
    if not queries.is_coordinator_of(request.user, run.organisation_id):
        raise Http404
    if imports.start_again(_user(request), run):
        return redirect("casework:import_run", run_id=run.pk)
    messages.error(request, _("This import cannot be started again as it was; import the file again."))
    return redirect("casework:import")
