"""§14 the cron check of schedules: the rules and error texts of robfig/cron v3's ``ParseStandard`` (five
fields, names for months and weekdays, ``*``/``?``, ranges, steps, lists, ``@`` descriptors and
``@every <duration>``, an optional ``TZ=``/``CRON_TZ=`` prefix), which Semaphore 2.10.32 prefixes
with ``Cron: ``.

§n: docs/server-behaviour.md.
"""
from __future__ import annotations

import re
import zoneinfo

# (min, max, names) of minute, hour, day of month, month, day of week
_FIELDS: tuple[tuple[int, int, dict[str, int]], ...] = (
    (0, 59, {}), (0, 23, {}), (1, 31, {}),
    (1, 12, {name: i + 1 for i, name in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
                                                   "oct", "nov", "dec"))}),
    (0, 6, {name: i for i, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}),
)
_DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_GO_INT = re.compile(r"^[+-]?[0-9]+$")
_DURATION = re.compile(r"^[+-]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+$")


class CronError(ValueError):
    """A spec ParseStandard refuses; the message is the library's."""


def _atoi(expr: str) -> int:
    """Go's strconv.Atoi plus the library's check for negative numbers."""
    if not _GO_INT.match(expr):
        raise CronError(f'failed to parse int from {expr}: strconv.Atoi: parsing "{expr}": invalid syntax')
    number = int(expr)
    if abs(number) > 2 ** 63 - 1:
        raise CronError(f'failed to parse int from {expr}: strconv.Atoi: parsing "{expr}": value out of range')
    if number < 0:
        raise CronError(f"negative number ({number}) not allowed: {expr}")
    return number


def _int_or_name(expr: str, names: dict[str, int]) -> int:
    return names[expr.lower()] if expr.lower() in names else _atoi(expr)


def _check_range(expr: str, low: int, high: int, names: dict[str, int]) -> None:
    """One ``number | number-number [/step]`` (or ``*``/``?`` [/step]) of a field."""
    range_and_step = expr.split("/")
    low_high = range_and_step[0].split("-")
    if low_high[0] in ("*", "?"):
        start, end = low, high
    else:
        start = _int_or_name(low_high[0], names)
        if len(low_high) > 2:
            raise CronError(f"too many hyphens: {expr}")
        end = _int_or_name(low_high[1], names) if len(low_high) == 2 else start
    step = 1
    if len(range_and_step) == 2:
        step = _atoi(range_and_step[1])
        if len(low_high) == 1:
            end = high
    elif len(range_and_step) > 2:
        raise CronError(f"too many slashes: {expr}")
    if start < low:
        raise CronError(f"beginning of range ({start}) below minimum ({low}): {expr}")
    if end > high:
        raise CronError(f"end of range ({end}) above maximum ({high}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")


def _descriptor(spec: str) -> None:
    if spec in _DESCRIPTORS:
        return
    if spec.startswith("@every "):
        duration = spec[len("@every "):]
        if not _DURATION.match(duration) and duration != "0":
            raise CronError(f'failed to parse duration {spec}: time: invalid duration "{duration}"')
        return
    raise CronError(f"unrecognized descriptor: {spec}")


def validate(spec: str) -> None:
    """Raise CronError with the library's message when ``spec`` is not a valid standard spec."""
    if not spec:
        raise CronError("empty spec string")
    if spec.startswith(("TZ=", "CRON_TZ=")):
        space = spec.find(" ")
        zone = spec[spec.index("=") + 1:space if space >= 0 else len(spec) - 1]
        try:
            zoneinfo.ZoneInfo(zone or "UTC")
        except (ValueError, zoneinfo.ZoneInfoNotFoundError):
            raise CronError(f"provided bad location {zone}: unknown time zone {zone}") from None
        spec = spec[space:].strip() if space >= 0 else ""
    if spec.startswith("@"):
        _descriptor(spec)
        return
    fields = spec.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    for field, (low, high, names) in zip(fields, _FIELDS):
        for expr in (part for part in field.split(",") if part):
            _check_range(expr, low, high, names)
