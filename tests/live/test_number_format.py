"""KPI formats: the en-US default without Babel, exact Decimal rounding, clear refusals, and the
Babel path when Babel is installed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from liveui.live import number_format
from liveui.live.number_format import check_format, format_number, have_babel


def test_money_groups_thousands_and_keeps_two_decimals() -> None:
    assert format_number(Decimal("1234.5"), "money") == "$1,234.50"
    assert format_number(Decimal("1234567.891"), "money") == "$1,234,567.89"
    assert format_number(Decimal("0"), "money") == "$0.00"
    assert format_number(Decimal("-12.5"), "money") == "-$12.50"
    assert format_number(Decimal("-0.001"), "money") == "$0.00"  # no "-$0.00"
    assert format_number(Decimal("9.995"), "money", currency="EUR") == "€10.00"  # half-even
    assert format_number(Decimal("9.985"), "money", currency="GBP") == "£9.98"
    assert format_number(Decimal("1234"), "money", currency="JPY") == "¥1,234"
    assert format_number(Decimal("1234.5"), "money", currency="CHF") == "CHF 1,234.50"


def test_money_is_exact_where_floats_are_not() -> None:
    total = sum((Decimal("0.10") for _ in range(10)), Decimal(0))
    assert format_number(total, "money") == "$1.00"
    assert format_number(Decimal("100000000000000000.01"), "money") == (
        "$100,000,000,000,000,000.01"
    )  # beyond a float's 15-17 digits


def test_percent_decimal_and_compact() -> None:
    assert format_number(Decimal("0.125"), "percent") == "12%"  # half-even
    assert format_number(Decimal("0.125"), "percent", places=1) == "12.5%"
    assert format_number(Decimal("1234.5"), "decimal") == "1,234.5"
    assert format_number(Decimal("1234.5"), "decimal", places=2) == "1,234.50"
    assert format_number(Decimal("999"), "compact") == "999"
    assert format_number(Decimal("1234"), "compact") == "1.2K"
    assert format_number(Decimal("1500000"), "compact") == "1.5M"
    assert format_number(Decimal("2000000000"), "compact") == "2B"
    assert format_number(Decimal("-4200"), "compact") == "-4.2K"


def test_nothing_shows_the_empty_text_or_a_formatted_number() -> None:
    assert format_number(None, "money") == "—"
    assert format_number(None, "money", empty="n/a") == "n/a"
    assert format_number(None, "money", empty=0) == "$0.00"
    assert format_number(None, "percent", empty=0) == "0%"


def test_formats_the_tile_cannot_show_are_refused_by_name() -> None:
    check_format("money", "USD", "en_US", 2)
    with pytest.raises(ValueError, match="format 'currency'"):
        check_format("currency", "USD", None, None)
    with pytest.raises(ValueError, match="currency 'usd'"):
        check_format("money", "usd", None, None)
    with pytest.raises(ValueError, match="locale"):
        check_format("money", "USD", "en US<script>", None)
    with pytest.raises(ValueError, match="places"):
        check_format("decimal", "USD", None, 40)


def test_a_locale_without_babel_falls_back_to_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Babel is optional for apps (installed here for the next test): take it away.
    monkeypatch.setattr(number_format, "_babel_numbers", lambda: None)
    assert not have_babel()
    assert format_number(Decimal("1234.5"), "money", locale="de_DE") == "$1,234.50"


def test_babel_formats_by_locale() -> None:
    assert have_babel(), "Babel is in the dev extras (pyproject.toml)"
    assert format_number(Decimal("1234.5"), "money", currency="EUR", locale="de_DE") == (
        "1.234,50\xa0€"
    )
    assert format_number(Decimal("1234.5"), "money", locale="en-US") == "$1,234.50"
    assert format_number(Decimal("0.125"), "percent", locale="en_US", places=1) == "12.5%"
