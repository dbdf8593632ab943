"""The field lists of poverty's records, each written once: the models, the services, the
serializers and the admin compose them."""

# What an indicator is, as the API, the admin and a new revision's copy read it.
INDICATOR_FIELDS = (
    "code",
    "position",
    "dimension",
    "name_vi",
    "name_en",
    "rule",
    "params",
    "sources",
    "to_confirm",
    "notes",
)

# The survey's (poverty.services, poverty.api.serializers, poverty.admin).
INCOME_FIELDS = (  # VND over the last 12 months, by source
    "income_wages",
    "income_agriculture",
    "income_business",
    "income_allowances",
    "income_other",
)
HOUSEHOLD_FACT_FIELDS = (  # what the rules read of the household (poverty.rules.HouseholdFacts)
    "wall_material",
    "frame_material",
    "roof_material",
    "floor_area_m2",
    "water_source",
    "latrine",
    "uses_internet",
    "devices",
    "waste_treatment",
)
SURVEY_FIELDS = ("survey_date", "form", "enumerator_name", *INCOME_FIELDS, *HOUSEHOLD_FACT_FIELDS)
MEMBER_FACT_FIELDS = (  # what the rules read of each member (poverty.rules.MemberFacts)
    "has_health_insurance",
    "schooling",
    "education_level",
    "employment",
    "receives_social_allowance",
    "nutrition",
)
SURVEY_MEMBER_FIELDS = ("member", *MEMBER_FACT_FIELDS)
