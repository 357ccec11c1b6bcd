"""Thin views: the builder and results (federation staff), and the answer pages (links, workers)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from maillage.core.audit import log_action
from maillage.core.parsing import BadParameter, bad_parameters_answer_400
from maillage.core.spreadsheet import csv_response, separator_from_request, xlsx_response
from maillage.core.submission import create_once
from maillage.core.tenancy import is_federation_staff, organisation_ids, organisations_of
from maillage.surveys import results, services, sharing
from maillage.surveys.answering import AnswerForm
from maillage.surveys.forms import FilterForm, InviteForm, QuestionForm, SurveyForm, WaveForm
from maillage.surveys.models import Audience, Invitation, Question, Response, Series, Survey

View = Callable[..., HttpResponse]


def federation_only(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_federation_staff(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _errors_to_form(form: Any, error: ValidationError) -> None:
    for message in error.messages:
        form.add_error(None, message)


# The builder


@federation_only
def manage_list(request: HttpRequest) -> HttpResponse:
    surveys = Survey.objects.select_related("series").annotate(
        sent=Count("responses", filter=Q(responses__submitted_at__isnull=False))
    )
    return render(request, "surveys/manage_list.html", {"surveys": surveys[:200]})


@federation_only
@require_http_methods(["GET", "POST"])
def new_survey(request: HttpRequest) -> HttpResponse:
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        cadence, wave = data.pop("repeat", ""), data.pop("wave", None)
        outcome = create_once(
            request, "surveys.survey",
            lambda: services.create_survey(request.user, data, cadence=cadence, wave=wave),  # type: ignore[arg-type]
            lambda survey: (reverse("surveys:manage_survey", args=[survey.pk]), _("This survey was already created.")),
        )  # fmt: skip
        if outcome.repeated:
            return outcome.redirect(request)
        assert outcome.result is not None
        messages.success(request, _("Survey created: now add its questions."))
        return redirect("surveys:manage_survey", outcome.result.pk)
    return render(request, "surveys/survey_form.html", {"form": form})


@federation_only
@require_http_methods(["GET", "POST"])
def manage_survey(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=survey_id)
    part = request.POST.get("part")
    survey_form = SurveyForm(request.POST if part == "survey" else None, instance=survey)
    question_form = QuestionForm(request.POST if part == "question" else None, survey=survey)
    if part == "survey" and survey_form.is_valid():
        services.update_survey(request.user, survey, survey_form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, _("Survey saved."))
        return redirect("surveys:manage_survey", survey.pk)
    if part == "question" and question_form.is_valid():
        fields = question_form.question_fields()
        outcome = create_once(
            request, "surveys.question",
            lambda: services.add_question(request.user, survey, fields),  # type: ignore[arg-type]
            lambda question: (reverse("surveys:manage_survey", args=[survey.pk]), _("This question was already added.")),
        )  # fmt: skip
        if outcome.repeated:
            return outcome.redirect(request)
        messages.success(request, _("Question added."))
        return redirect("surveys:manage_survey", survey.pk)
    context = {
        "survey": survey,
        "survey_form": survey_form,
        "question_form": question_form,
        "questions": survey.questions.all(),
        "draft": not survey.responses.exists(),
        "invitations": survey.invitations.select_related("organisation"),
        "public_link": request.build_absolute_uri(reverse("surveys:answer_public", args=[survey.public_token])),
        "sent": survey.responses.filter(submitted_at__isnull=False).count(),
    }
    return render(request, "surveys/manage_survey.html", context)


@federation_only
@require_http_methods(["GET", "POST"])
def edit_question(request: HttpRequest, survey_id: int, question_id: int) -> HttpResponse:
    question = get_object_or_404(Question.objects.select_related("survey"), pk=question_id, survey_id=survey_id)
    survey = question.survey
    form = QuestionForm(request.POST or None, survey=survey, question=question)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_question(request.user, question, form.question_fields())  # type: ignore[arg-type]
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Question saved."))
            return redirect("surveys:manage_survey", survey.pk)
    return render(request, "surveys/question_form.html", {"survey": survey, "question": question, "form": form})


@require_POST
@federation_only
def move_question(request: HttpRequest, survey_id: int, question_id: int) -> HttpResponse:
    question = get_object_or_404(Question, pk=question_id, survey_id=survey_id)
    try:
        to = int(request.POST.get("to", ""))
    except ValueError:
        messages.error(request, _("Choose where to move the question."))
        return redirect("surveys:manage_survey", survey_id)
    try:
        services.move_question(request.user, question, to)  # type: ignore[arg-type]
        messages.success(request, _("Question moved."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(reverse("surveys:manage_survey", args=[survey_id]) + f"#question-{question.pk}")


@require_POST
@federation_only
def delete_question(request: HttpRequest, survey_id: int, question_id: int) -> HttpResponse:
    question = get_object_or_404(Question, pk=question_id, survey_id=survey_id)
    try:
        services.delete_question(request.user, question)  # type: ignore[arg-type]
        messages.success(request, _("Question removed."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("surveys:manage_survey", survey_id)


@federation_only
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=survey_id)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.invite_organisations(request.user, survey, list(form.cleaned_data["organisations"]))  # type: ignore[arg-type]
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("%(n)s organisations invited.") % {"n": len(made)})
            return redirect("surveys:manage_survey", survey.pk)
    return render(request, "surveys/invite.html", {"survey": survey, "form": form})


@require_POST
@federation_only
def remind(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=survey_id)
    count = services.send_reminders(survey.pk, request.user)  # type: ignore[arg-type]
    messages.success(request, _("Reminders sent to %(n)s organisations.") % {"n": count})
    return redirect("surveys:manage_survey", survey.pk)


@federation_only
@require_http_methods(["GET", "POST"])
def new_wave(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=survey_id, series__isnull=False)
    form = WaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            wave = services.new_wave(request.user, survey, data["wave"], data["opens_at"], data["closes_at"])  # type: ignore[arg-type]
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("New wave created."))
            return redirect("surveys:manage_survey", wave.pk)
    return render(request, "surveys/wave_form.html", {"survey": survey, "form": form})


def _filters(request: HttpRequest) -> tuple[FilterForm, str, str]:
    form = FilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        raise BadParameter("sector", _("Unknown sector or region."))
    data = form.cleaned_data if request.GET else {}
    return form, data.get("sector", ""), data.get("region", "")


@federation_only
@bad_parameters_answer_400
def results_page(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=survey_id)
    form, sector, region = _filters(request)
    responses = list(results.submitted(survey, sector=sector, region=region).only("answers"))
    context = {
        "survey": survey,
        "form": form,
        "results": results.survey_results(survey, responses),
        "count": len(responses),
        "query": request.GET.urlencode(),
    }
    return render(request, "surveys/results.html", context)


@federation_only
@bad_parameters_answer_400
def organisation_answers(request: HttpRequest, survey_id: int) -> HttpResponse:
    """Each organisation's own answers: federation staff only (audited, as identifying an organisation)."""
    survey = get_object_or_404(Survey, pk=survey_id)
    _form, sector, region = _filters(request)
    responses = results.submitted(survey, sector=sector, region=region).select_related("organisation")
    header, rows = results.export_rows(survey, responses)
    log_action(request.user, "surveys.response.read", survey)  # type: ignore[arg-type]
    page = render(request, "surveys/organisation_answers.html", {"survey": survey, "header": header, "rows": rows})
    page["Cache-Control"] = "no-store"
    return page


@federation_only
@bad_parameters_answer_400
def export(request: HttpRequest, survey_id: int, fmt: str) -> Any:
    if fmt not in ("csv", "xlsx"):
        raise Http404
    survey = get_object_or_404(Survey, pk=survey_id)
    _form, sector, region = _filters(request)
    responses = results.submitted(survey, sector=sector, region=region).select_related("organisation")
    header, rows = results.export_rows(survey, responses)
    log_action(request.user, "surveys.response.exported", survey, {"format": fmt})  # type: ignore[arg-type]
    filename = f"survey-{survey.pk}"
    if fmt == "xlsx":
        return xlsx_response(f"{filename}.xlsx", [(survey.title, header, rows)])
    return csv_response(f"{filename}.csv", header, rows, separator=separator_from_request(request))


@federation_only
def trend(request: HttpRequest, series_id: int) -> HttpResponse:
    series = get_object_or_404(Series, pk=series_id)
    waves = series.waves.order_by("wave").annotate(
        sent=Count("responses", filter=Q(responses__submitted_at__isnull=False))
    )
    return render(
        request, "surveys/trend.html", {"series": series, "waves": waves, "trends": results.series_trends(series)}
    )


# Answering


def _answer(request: HttpRequest, survey: Survey, response: Response | None, *, make: Callable[[], Response] | None = None,
            shared_results_url: str = "") -> HttpResponse:  # fmt: skip
    questions = list(survey.questions.select_related("condition_question"))
    context: dict[str, Any] = {"survey": survey, "response": response, "shared_results_url": shared_results_url}
    if response is not None and response.submitted_at is not None:
        return render(request, "surveys/answered.html", context)
    if not survey.is_open():
        context["not_yet"] = timezone.now() < survey.opens_at
        return render(request, "surveys/closed.html", context)
    form = AnswerForm(questions, request.POST or None, initial_answers=response.answers if response else None)
    if request.method == "POST":
        form.finishing = request.POST.get("action") == "send"
        if form.is_valid():
            try:
                sheet = response or (make() if make else None)
                assert sheet is not None
                sheet = services.save_answers(sheet, form.cleaned_answers, finish=form.finishing, user=request.user)  # type: ignore[arg-type]
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                if sheet.submitted_at:
                    messages.success(request, _("Thank you: your answers were sent."))
                else:
                    messages.success(request, _("Your answers are saved: come back with the same link to finish."))
                if response is None and sheet.user_id is None and sheet.organisation_id is None:
                    return redirect("surveys:resume_public", survey.public_token, sheet.resume_token)
                return redirect(request.path)
    context["form"] = form
    return render(request, "surveys/answer.html", context, status=200)


@require_http_methods(["GET", "POST"])
def answer_organisation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = Invitation.objects.select_related("survey", "organisation").filter(token=token).first()
    if invitation is None:
        raise Http404
    user = request.user
    # Anyone holding the link may fill it (a colleague without an account); a member of another organisation may not.
    mine = organisation_ids(user) if user.is_authenticated else set()
    if mine and invitation.organisation_id not in mine and not is_federation_staff(user):
        log_action(user, "surveys.link.refused", invitation.survey, {"organisation": invitation.organisation_id})  # type: ignore[arg-type]
        # The page says so (a GET changes nothing); an attempt to answer is refused.
        status = 403 if request.method == "POST" else 200
        return render(request, "surveys/link_refused.html", {"invitation": invitation}, status=status)
    survey = invitation.survey
    response = Response.objects.filter(survey=survey, organisation=invitation.organisation, user__isnull=True).first()
    if response is None and survey.is_open():
        response = services.sheet_for_organisation(survey, invitation.organisation)
    shared = reverse("surveys:shared_results", args=[token])
    return _answer(request, survey, response, shared_results_url=shared)


@bad_parameters_answer_400
def shared_results(request: HttpRequest, token: str) -> HttpResponse:
    """The aggregated results, for those who were asked, through the statistics' disclosure engine (filters
    are slices of one protected family; the reader's own answer is taken into account); no free text."""
    invitation = get_object_or_404(Invitation.objects.select_related("survey"), token=token)
    survey = invitation.survey
    form, sector, region = _filters(request)
    responses = list(results.submitted(survey).only("answers", "sector", "region", "organisation_id", "submitted_at"))
    own = next((r for r in responses if r.organisation_id == invitation.organisation_id), None)
    shared = sharing.shared_results(survey, responses, own=own, sector=sector, region=region)
    context = {"survey": survey, "form": form, "shared": shared, "rule": shared.rule.describe()}
    page = render(request, "surveys/shared_results.html", context)
    page["Cache-Control"] = "no-store"
    return page


@require_http_methods(["GET", "POST"])
def answer_public(request: HttpRequest, token: str) -> HttpResponse:
    survey = get_object_or_404(Survey, public_token=token, audience=Audience.PUBLIC)
    return _answer(request, survey, None, make=lambda: services.public_sheet(survey))


@require_http_methods(["GET", "POST"])
def resume_public(request: HttpRequest, token: str, resume: str) -> HttpResponse:
    survey = get_object_or_404(Survey, public_token=token, audience=Audience.PUBLIC)
    response = get_object_or_404(Response, survey=survey, resume_token=resume)
    return _answer(request, survey, response)


@login_required
@require_http_methods(["GET", "POST"])
def answer_worker(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=survey_id, audience=Audience.WORKERS)
    response = Response.objects.filter(survey=survey, user=request.user).first()  # type: ignore[misc]
    if response is None and survey.is_open():
        organisation = organisations_of(request.user).first()
        response = services.sheet_for_worker(survey, request.user, organisation)  # type: ignore[arg-type]
    return _answer(request, survey, response)


@login_required
def my_surveys(request: HttpRequest) -> HttpResponse:
    """Open surveys for signed-in workers, and the links of one's organisations (coordinators forward them)."""
    now = timezone.now()
    open_for_workers = Survey.objects.filter(audience=Audience.WORKERS, opens_at__lte=now, closes_at__gt=now)
    invitations = Invitation.objects.filter(
        organisation_id__in=organisation_ids(request.user), survey__opens_at__lte=now, survey__closes_at__gt=now
    ).select_related("survey", "organisation")
    return render(request, "surveys/my_surveys.html", {"surveys": open_for_workers, "invitations": invitations})
