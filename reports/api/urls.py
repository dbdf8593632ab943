"""Report endpoints under /api/v1/reports/."""

from django.urls import path

from . import budget, views

urlpatterns = [
    path(
        "reports/budget-execution/", budget.BudgetExecutionView.as_view(), name="budget-execution"
    ),
    path("reports/coverage/", budget.CoverageView.as_view(), name="coverage"),
    *(
        path(f"reports/{slug}/", view.as_view(), name=f"report-{slug}")
        for slug, view in views.VIEWS.items()
    ),
]
