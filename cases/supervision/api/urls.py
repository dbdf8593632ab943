from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter(trailing_slash=True)
router.register("findings", views.FindingViewSet, basename="finding")

urlpatterns = [
    path("supervision/scan/", views.ScanView.as_view(), name="supervision-scan"),
    *router.urls,
]
