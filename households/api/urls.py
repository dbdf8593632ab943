from rest_framework.routers import SimpleRouter

from geo.api import views as geo_views

from . import views

router = SimpleRouter(trailing_slash=True)
router.register("provinces", geo_views.ProvinceViewSet, basename="province")
router.register("communes", geo_views.CommuneViewSet, basename="commune")
router.register("villages", geo_views.VillageViewSet, basename="village")
router.register("ethnic-groups", geo_views.EthnicGroupViewSet, basename="ethnic-group")
router.register("households", views.HouseholdViewSet, basename="household")
router.register("members", views.MemberViewSet, basename="member")
router.register("duplicates", views.DuplicateViewSet, basename="duplicate")

urlpatterns = router.urls
