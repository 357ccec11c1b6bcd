"""Statistics: helpline reports, case-work crossings and background exports keep their routes in separate modules."""

from maillage.stats import urls_casework, urls_exports, urls_helpline

app_name = "stats"

urlpatterns = [*urls_helpline.urlpatterns, *urls_casework.urlpatterns, *urls_exports.urlpatterns]
