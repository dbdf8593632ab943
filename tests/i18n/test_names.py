"""The names the admin shows for a record (its title, its breadcrumbs, "… was changed"
messages) read in the officer's language: no English word spliced into a Vietnamese name."""

from __future__ import annotations

from datetime import date

from django.utils import translation

from cases.models import Case, FollowUp
from core import personal
from households.models import Household, Member
from poverty.models import Complaint


def test_a_case_a_follow_up_a_complaint_and_a_hidden_member_are_named_in_vietnamese():
    household = Household(code="QN-000123")
    with translation.override("vi"):
        assert str(Case(household=household, state="active")) == (
            "Hồ sơ của hộ QN-000123 (Đang hỗ trợ: hộ nghèo hoặc cận nghèo, đang thực hiện kế hoạch)"
        )
        assert str(FollowUp(kind="visit", scheduled_on=date(2026, 11, 5))) == (
            "Thăm hộ ngày 05/11/2026"
        )
        with personal.showing(False):
            assert str(Complaint(lodged_by="Lê Văn Tám", status="open")) == (
                "Khiếu nại của một người dân (Đang mở)"
            )
            member = Member(pk="0196a3b4-0000-7000-8000-000000000000")
            assert str(member) == "thành viên 0196a3b4"
        with personal.showing(True):
            assert str(Complaint(lodged_by="Lê Văn Tám", status="open")) == (
                "Khiếu nại của Lê Văn Tám (Đang mở)"
            )
    with translation.override("en"):
        assert str(Case(household=household, state="active")).startswith(
            "Case of QN-000123 (Active"
        )
        assert str(FollowUp(kind="visit", scheduled_on=date(2026, 11, 5))) == (
            "Home visit on 05/11/2026"
        )
        with personal.showing(False):
            assert str(Complaint(lodged_by="Lê Văn Tám", status="open")) == (
                "Complaint by a resident (Open)"
            )
