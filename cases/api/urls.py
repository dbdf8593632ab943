from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter(trailing_slash=True)
router.register("cases", views.CaseViewSet, basename="case")
router.register("plan-goals", views.PlanGoalViewSet, basename="plan-goal")
router.register("follow-ups", views.FollowUpViewSet, basename="follow-up")

urlpatterns = [
    path(
        "reports/overdue-follow-ups/",
        views.OverdueFollowUpsView.as_view(),
        name="overdue-follow-ups",
    ),
    path("reports/case-progress/", views.CaseProgressView.as_view(), name="case-progress"),
    *router.urls,
]
