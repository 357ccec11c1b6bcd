from django.urls import path

from maillage.taxonomy import views

app_name = "taxonomy"

urlpatterns = [
    path("", views.scheme_list, name="schemes"),
    path("<slug:scheme_code>/search", views.search, name="search"),
    path("<slug:scheme_code>/new-draft/", views.create_draft, name="create_draft"),
    path("<slug:scheme_code>/v<int:number>/", views.version_detail, name="version"),
    path("<slug:scheme_code>/v<int:number>/upload/", views.upload, name="upload"),
    path("<slug:scheme_code>/v<int:number>/export.csv", views.download, name="download"),
    path("<slug:scheme_code>/v<int:number>/mapping/", views.mapping, name="mapping"),
    path("<slug:scheme_code>/v<int:number>/changes/", views.changes, name="changes"),
    path("<slug:scheme_code>/v<int:number>/publish/", views.publish, name="publish"),
    path("<slug:scheme_code>/v<int:number>/discard/", views.discard, name="discard"),
    path(
        "<slug:scheme_code>/v<int:number>/categories/<int:category_id>/edit/",
        views.edit_category,
        name="edit_category",
    ),
]
