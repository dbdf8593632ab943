from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.register("provinces", views.ProvinceViewSet, basename="province")
router.register("communes", views.CommuneViewSet, basename="commune")
router.register("villages", views.VillageViewSet, basename="village")
router.register("ethnic-groups", views.EthnicGroupViewSet, basename="ethnic-group")
router.register("households", views.HouseholdViewSet, basename="household")
router.register("members", views.MemberViewSet, basename="member")
router.register("duplicates", views.DuplicateViewSet, basename="duplicate")

urlpatterns = router.urls
