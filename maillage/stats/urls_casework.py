"""Routes of the case-work statistics (cross-tab builder, saved reports, sector extractions)."""

urlpatterns: list = []
