"""Texts the project keeps in both languages itself (the rules' reasons and explanations,
code tables' names, findings' reasons, indicators' names): which one a reader gets."""

from __future__ import annotations

from typing import TypeVar

from django.utils.translation import get_language

T = TypeVar("T")


def vietnamese() -> bool:
    """The active language is Vietnamese (English otherwise, and with translations off)."""
    return (get_language() or "").startswith("vi")


def in_language(vi: T, en: T) -> T:
    """`vi` for a Vietnamese reader, else `en`."""
    return vi if vietnamese() else en
