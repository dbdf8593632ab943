"""The support catalog: packages with their eligibility, base rates and funding split."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from core.access import Perm, require
from core.errors import Conflict, InvalidInput

from ..models import PackageEligibility, PackageFunding, PackageRate, SupportPackage
from ._records import assign, save_unique

# The lists a package is saved with, each replaced whole when given: argument → model.
PACKAGE_LISTS = {
    "eligibility": PackageEligibility,
    "rates": PackageRate,
    "funding": PackageFunding,
}


def _repeated(rows: Sequence[dict], key: Callable[[dict], Any]) -> bool:
    """Whether two rows of a package's list have the same key (its unique key)."""
    keys = [key(row) for row in rows]
    return len(set(keys)) < len(keys)


@transaction.atomic
def package_save(
    *,
    actor,
    package: SupportPackage | None,
    values: dict[str, Any],
    eligibility: Sequence[dict] | None,
    rates: Sequence[dict] | None,
    funding: Sequence[dict] | None,
) -> SupportPackage:
    """Create or change a package with its eligibility, base rates and funding split."""
    require(actor, Perm.SUPPORT_MANAGE)
    errors: dict[str, str] = {}
    if funding is not None:
        total = sum(Decimal(f["share_percent"]) for f in funding)
        if funding and total != 100:
            errors["funding"] = gettext("Shares add up to %(total)s%%, not 100%%.") % {
                "total": total
            }
    if eligibility is not None and _repeated(
        eligibility, lambda e: (e["standard_code"], e["classification"])
    ):
        errors["eligibility"] = gettext("The same standard and class are listed twice.")
    if funding is not None and _repeated(funding, lambda f: f["source"]):
        errors["funding"] = gettext("The same capital source is listed twice.")
    if rates is not None:
        ordered = sorted(rates, key=lambda r: r["valid_from"])
        for earlier, later in itertools.pairwise(ordered):
            if earlier.get("valid_to") is None or earlier["valid_to"] >= later["valid_from"]:
                errors["rates"] = gettext("Base-rate periods overlap.")
    for rule in values.get("multipliers") or []:
        try:
            if Decimal(str(rule["multiplier"])) <= 0:
                raise ValueError
        except (KeyError, ValueError, ArithmeticError, TypeError):
            errors["multipliers"] = gettext("Each rule has a positive `multiplier` and a `when`.")
    if errors:
        raise InvalidInput(
            gettext("The package is not consistent: %(problems)s")
            % {"problems": "; ".join(f"{k}: {v}" for k, v in errors.items())},
            fields=errors,
        )
    # The code's own check (the serializer's, the admin form's) cannot see a package being
    # created with it at the same moment: that one is answered on `code` too, not as a crash.
    taken = Conflict(
        gettext("This package code is already used."),
        fields={"code": gettext("Already used.")},
        code="package_exists",
    )
    package = save_unique(assign(package or SupportPackage(), values), taken)
    lists = {"eligibility": eligibility, "rates": rates, "funding": funding}
    for related, model in PACKAGE_LISTS.items():
        rows = lists[related]
        if rows is not None:
            getattr(package, related).all().delete()
            model.objects.bulk_create(model(package=package, **row) for row in rows)
    return package
