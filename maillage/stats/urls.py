"""Statistics: helpline reports and case-work crossings keep their routes in separate modules."""

from maillage.stats import urls_casework, urls_helpline

app_name = "stats"

urlpatterns = [*urls_helpline.urlpatterns, *urls_casework.urlpatterns]
