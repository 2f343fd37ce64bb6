"""Formatting a KPI value for a tile: money, percent, decimal and compact numbers.

With Babel installed (`pip install babel`) a `locale` ("de_DE", "fr-FR") picks the symbols,
grouping and currency placement of that locale. Without Babel, or without a locale, the simple
default is en-US style: `$1,234.50`, `12.5%`, `1,234.5`, `1.2K` (currencies other than USD, EUR,
GBP and JPY are written by code: `CHF 1,234.50`).

Every step is `Decimal`: a value never goes through a float, so `0.1 * 10` shows `1.00`.
"""

from __future__ import annotations

import importlib
import re
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

__all__ = ["FORMATS", "check_format", "format_number", "have_babel"]

FORMATS = ("money", "percent", "decimal", "compact")

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
_ZERO_DECIMAL = {"JPY", "KRW", "VND", "CLP", "ISK"}
_COMPACT = ((Decimal(10) ** 12, "T"), (Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"),
            (Decimal(10) ** 3, "K"))
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$")


def _babel_numbers() -> Any:
    """Babel's `numbers` module, or None (Babel is optional: imported by name, untyped)."""
    try:
        return importlib.import_module("babel.numbers")
    except ImportError:
        return None


def have_babel() -> bool:
    return _babel_numbers() is not None


def check_format(format: str, currency: str, locale: str | None, places: int | None) -> None:
    """Refuse a format the tile cannot show, with a message naming what is wrong."""
    if format not in FORMATS:
        raise ValueError(f"format {format!r} is not one of {', '.join(FORMATS)}")
    if not _CURRENCY.match(currency):
        raise ValueError(f"currency {currency!r} is not an ISO 4217 code like 'USD'")
    if locale is not None and not _LOCALE.match(locale):
        raise ValueError(f"locale {locale!r} is not a locale name like 'en_US'")
    if places is not None and (isinstance(places, bool) or not 0 <= places <= 18):
        raise ValueError(f"places {places!r} must be from 0 to 18")


def format_number(
    value: Decimal | None,
    format: str = "decimal",
    *,
    currency: str = "USD",
    locale: str | None = None,
    places: int | None = None,
    empty: str | int = "—",
) -> str:
    """`value` as the tile shows it. None (an average of nothing) shows `empty`: a text, or a
    number formatted like a value (`empty=0` shows `$0.00` for money)."""
    if value is None:
        if isinstance(empty, str):
            return empty
        value = Decimal(empty)
    if locale is not None and have_babel():
        return _babel(value, format, currency, locale.replace("-", "_"), places)
    return _simple(value, format, currency, places)


def _round(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)


def _grouped(value: Decimal, places: int | None) -> str:
    if places is not None:
        value = _round(value, places)
    return format(value, ",f")


def _simple(value: Decimal, format: str, currency: str, places: int | None) -> str:
    if format == "money":
        digits = places if places is not None else (0 if currency in _ZERO_DECIMAL else 2)
        text = _grouped(abs(value), digits)
        symbol = _SYMBOLS.get(currency)
        shown = f"{symbol}{text}" if symbol else f"{currency} {text}"
        return f"-{shown}" if _round(value, digits) < 0 else shown
    if format == "percent":
        return _grouped(value * 100, places if places is not None else 0) + "%"
    if format == "compact":
        return _compact(value, places if places is not None else 1)
    return _grouped(value, places)


def _compact(value: Decimal, places: int) -> str:
    size = abs(value)
    for step, suffix in _COMPACT:
        if size >= step:
            text = format(_round(value / step, places), "f")
            return _trim(text) + suffix
    return _trim(format(_round(value, places), "f"))


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def _babel(value: Decimal, format: str, currency: str, locale: str, places: int | None) -> str:
    numbers = _babel_numbers()
    fraction = "" if not places else "." + "0" * places
    result: Any
    if format == "money":
        result = numbers.format_currency(value, currency, locale=locale)
    elif format == "percent":
        result = numbers.format_percent(value, f"#,##0{fraction}%", locale=locale)
    elif format == "compact":
        result = numbers.format_compact_decimal(
            value, locale=locale, fraction_digits=places if places is not None else 1
        )
    else:
        pattern = f"#,##0{fraction}" if places is not None else None
        result = numbers.format_decimal(value, pattern, locale=locale)
    return str(result)
