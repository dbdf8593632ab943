"""The integration protocols' URLs, under /api/v1/: the Home Affairs registry sync, the
field-app protocol and the change feed."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from integrations.field import api as field

from .changes import ChangesView
from .sync import RegistrySyncViewSet

router = SimpleRouter(trailing_slash=True)
router.register("field/uploads", field.FieldUploadViewSet, basename="field-upload")
router.register("field/households", field.FieldHouseholdViewSet, basename="field-household")

urlpatterns = [
    path("changes/", ChangesView.as_view(), name="changes"),
    # Home Affairs registry sync (integrations.api.sync): a POST and a CSV download.
    path(
        "registry-sync/",
        RegistrySyncViewSet.as_view({"post": "create"}),
        name="registry-sync",
    ),
    path(
        "registry-sync/<uuid:pk>/rejected.csv",
        RegistrySyncViewSet.as_view({"get": "rejected"}),
        name="registry-sync-rejected",
    ),
    *router.urls,
]
