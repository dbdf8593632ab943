from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter(trailing_slash=True)
router.register("poverty-standards", views.StandardViewSet, basename="poverty-standard")
router.register("review-rounds", views.ReviewRoundViewSet, basename="review-round")
router.register("surveys", views.SurveyViewSet, basename="survey")
router.register("assessments", views.AssessmentViewSet, basename="assessment")
router.register("complaints", views.ComplaintViewSet, basename="complaint")
router.register("what-if", views.WhatIfViewSet, basename="what-if")

urlpatterns = [
    path(
        "households/<uuid:pk>/poverty-status/",
        views.PovertyStatusView.as_view(),
        name="household-poverty-status",
    ),
    path("relapse-watchlist/", views.RelapseWatchlistView.as_view(), name="relapse-watchlist"),
    *router.urls,
]
