"""The officers' dashboard (/dashboard/)."""

urlpatterns: list = []
