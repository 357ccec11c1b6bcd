"""Routes of the helpline reports (weekly synthesis, bilan, exports)."""

urlpatterns: list = []
