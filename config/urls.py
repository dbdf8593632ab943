from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from core.api.jobs import JobViewSet
from core.api.root import ApiRootView
from support.api.public import PublicPageView

handler400 = "core.api.errors.bad_request"
handler404 = "core.api.errors.not_found"
handler500 = "core.api.errors.server_error"

jobs_router = SimpleRouter()
jobs_router.register("jobs", JobViewSet, basename="job")

urlpatterns = [
    path("", RedirectView.as_view(url="/api/docs/", permanent=False)),
    path("admin/", admin.site.urls),
    # The admin's language choice (POST language=vi|en to /i18n/setlang/; kept in a cookie).
    path("i18n/", include("django.conf.urls.i18n")),
    path("public/", PublicPageView.as_view(), name="public-page"),
    path(
        "api/v1/",
        ApiRootView.as_view(pages={"public-page": "public-page"}),
        name="api-root",
    ),
    path("api/v1/", include(jobs_router.urls)),
    path("api/v1/", include("households.api.urls")),
    path("api/v1/", include("poverty.api.urls")),
    path("api/v1/", include("support.api.urls")),
    path("api/v1/", include("cases.api.urls")),
    path("api/v1/", include("integrations.api.urls")),
    path("api/v1/", include("cases.supervision.api.urls")),
    path("api/v1/", include("reports.api.urls")),
    # The DCI social registry API (SPDCI v1.0.0): its own envelope, tokens and errors (dci/).
    path("dci/", include("dci.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api-auth/", include("rest_framework.urls")),
]
