from django.urls import path

from . import views

urlpatterns = [
    path("oauth2/client/token", views.TokenView.as_view(), name="dci-token"),
    path("registry/sync/search", views.SyncSearchView.as_view(), name="dci-sync-search"),
    path("registry/sync/txn/status", views.SyncTxnStatusView.as_view(), name="dci-sync-txn-status"),
    path("registry/search", views.SearchView.as_view(), name="dci-search"),
    path("registry/txn/status", views.TxnStatusView.as_view(), name="dci-txn-status"),
    path("registry/subscribe", views.SubscribeView.as_view(), name="dci-subscribe"),
    path("registry/unsubscribe", views.UnsubscribeView.as_view(), name="dci-unsubscribe"),
]
