from django.urls import path
from rest_framework.routers import SimpleRouter

from . import public, views

router = SimpleRouter(trailing_slash=True)
router.register("programs", views.ProgramViewSet, basename="program")
router.register("budget-allocations", views.AllocationViewSet, basename="budget-allocation")
router.register("support-packages", views.PackageViewSet, basename="support-package")
router.register("assignments", views.AssignmentViewSet, basename="assignment")
router.register("disbursements", views.DisbursementViewSet, basename="disbursement")
router.register("livelihood-models", views.LivelihoodModelViewSet, basename="livelihood-model")
router.register("targets", views.TargetViewSet, basename="target")

urlpatterns = [
    path(
        "households/<uuid:pk>/eligible-packages/",
        views.EligiblePackagesView.as_view(),
        name="household-eligible-packages",
    ),
    path("public/budget/", public.PublicBudgetView.as_view(), name="public-budget"),
    path("public/support/", public.PublicSupportView.as_view(), name="public-support"),
    path(
        "public/poverty-rates/",
        public.PublicPovertyRatesView.as_view(),
        name="public-poverty-rates",
    ),
    *router.urls,
]
