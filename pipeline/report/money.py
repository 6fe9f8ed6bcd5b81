"""Sums and dates as the report prints them: `£12.3m`, `£1.25bn`, `more than £35m`, `£10m to £12m`, `1 April 2015`.

Readers of the report compare figures quoted in the press, which round to millions; printing £35,412,000 would
suggest a precision the articles rarely have, so sums are rounded to the unit a headline would use.
"""

from __future__ import annotations

from datetime import date

NO_VALUE = "–"
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def format_gbp(amount: float | None) -> str:
    """`£1.25bn`, `£12.3m`, `£450k` or `£950`; `–` for no amount. Trailing zeros go (`£35m`, not `£35.0m`)."""
    if amount is None:
        return NO_VALUE
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    # The unit is chosen after rounding, so £999.96m prints as £1bn, not £1000m.
    if round(amount / 1e6, 1) >= 1000:
        return f"{sign}£{_trimmed(amount / 1e9, 2)}bn"
    if round(amount / 1e3) >= 1000:
        return f"{sign}£{_trimmed(amount / 1e6, 1)}m"
    if round(amount) >= 1000:
        return f"{sign}£{_trimmed(amount / 1e3, 0)}k"
    return f"{sign}£{_trimmed(amount, 0)}"


def format_amount(amount: float | None, low: float | None = None, high: float | None = None,
                  qualifier: str | None = None) -> str:
    """A claim's or figure's sum as stated: its amount with its hedge (`more than £35m`), else its range
    (`£10m to £12m`), else `–`."""
    if amount is not None:
        text = format_gbp(amount)
    elif low is not None and high is not None:
        text = f"{format_gbp(low)} to {format_gbp(high)}"
    elif low is not None or high is not None:
        text = format_gbp(low if low is not None else high)
    else:
        return NO_VALUE
    return f"{qualifier} {text}" if qualifier else text


def format_years(fy_start: str | None, fy_end: str | None) -> str:
    """`2015/16`, or `2015/16 to 2017/18` for a span; `–` when neither is known."""
    if fy_start and fy_end and fy_start != fy_end:
        return f"{fy_start} to {fy_end}"
    return fy_start or fy_end or NO_VALUE


def format_date(day: date | None) -> str:
    """`1 April 2015`, spelt out here rather than by strftime, whose month names follow the machine's locale."""
    if day is None:
        return NO_VALUE
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _trimmed(value: float, decimals: int) -> str:
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
