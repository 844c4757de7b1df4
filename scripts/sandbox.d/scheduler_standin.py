"""A stand-in of EventBridge Scheduler's delivery: the emulator keeps the schedules a model stack
makes (scripts/moto-server.py) but never runs them. Here every enabled `cron(...)` schedule whose
target is a function of the sandbox invokes it when due, in the schedule's time zone and within
its start and end dates, with the schedule's input (`<aws.scheduler.scheduled-time>` replaced by
the time it was due, as the scheduler does). `due_input` also serves `scripts/sandbox fire`.
"""

from __future__ import annotations

import datetime
import threading
import zoneinfo
from typing import Any, Callable

SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"
# Between two looks at the schedules: well inside a minute, the cron expressions' resolution.
POLL_SECONDS = 10

DAY_NAMES = {name: i for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}
MONTH_NAMES = {name: i for i, name in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}


def _field_matches(field: str, value: int, names: dict[str, int], low: int, high: int) -> bool:
    """One field of an EventBridge cron expression: `*`, `?`, numbers or names, `a-b`, `a/n`,
    lists of those."""
    for part in field.upper().split(","):
        part, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if part in ("*", "?"):
            first, last = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            first, last = names.get(a) or int(a), names.get(b) or int(b)
        else:
            first = names.get(part) or int(part)
            last = high if step_text else first
        if first <= value <= last and (value - first) % step == 0:
            return True
    return False


def cron_matches(expression: str, moment: datetime.datetime) -> bool:
    """Whether `cron(minutes hours day-of-month month day-of-week year)` fires at `moment` (a
    local time in the schedule's zone, to the minute)."""
    fields = expression.strip()[len("cron("):-1].split()
    if len(fields) != 6:
        raise ValueError(f"not a six-field cron expression: {expression}")
    minute, hour, day, month, weekday, year = fields
    day_of_week = moment.isoweekday() % 7 + 1  # EventBridge: 1 is Sunday
    return (_field_matches(minute, moment.minute, {}, 0, 59)
            and _field_matches(hour, moment.hour, {}, 0, 23)
            and _field_matches(day, moment.day, {}, 1, 31)
            and _field_matches(month, moment.month, MONTH_NAMES, 1, 12)
            and _field_matches(weekday, day_of_week, DAY_NAMES, 1, 7)
            and _field_matches(year, moment.year, {}, 1970, 2199))


def rfc3339(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def due_input(schedule: dict[str, Any], due: datetime.datetime) -> bytes:
    """The target's input as the scheduler sends it for the invocation due at `due`."""
    return schedule["Target"].get("Input", "{}").replace(SCHEDULED_TIME, rfc3339(due)).encode()


def all_schedules(client) -> list[dict[str, Any]]:
    found = []
    for page in client.get_paginator("list_schedules").paginate():
        for summary in page.get("Schedules", []):
            found.append(client.get_schedule(Name=summary["Name"], GroupName=summary.get("GroupName", "default")))
    return found


class Scheduler:
    def __init__(self, client, functions: dict[str, Any], log: Callable[[str], None]):
        self.client = client
        self.functions = functions  # by ARN
        self.log = log
        self.stopping = threading.Event()
        self.told: set[str] = set()  # schedules already said to be skipped

    def run(self) -> None:
        checked = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
        while not self.stopping.wait(POLL_SECONDS):
            now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
            minutes = []
            while checked < now:
                checked += datetime.timedelta(minutes=1)
                minutes.append(checked)
            if not minutes:
                continue
            try:
                schedules = all_schedules(self.client)
            except Exception as error:  # noqa: BLE001 (the emulator may be stopping)
                self.log(f"scheduler: cannot list the schedules: {error}")
                continue
            for schedule in schedules:
                for minute in minutes:
                    self._maybe_fire(schedule, minute)

    def _maybe_fire(self, schedule: dict[str, Any], minute: datetime.datetime) -> None:
        name = schedule.get("Name", "?")
        expression = schedule.get("ScheduleExpression", "")
        function = self.functions.get(schedule.get("Target", {}).get("Arn"))
        if schedule.get("State") != "ENABLED" or function is None:
            return
        if not expression.startswith("cron("):
            if name not in self.told:
                self.told.add(name)
                self.log(f"scheduler: {name}: only cron(...) schedules are run here, not {expression}")
            return
        try:
            zone = zoneinfo.ZoneInfo(schedule.get("ScheduleExpressionTimezone") or "UTC")
            local = minute.astimezone(zone)
            due = cron_matches(expression, local)
        except (ValueError, zoneinfo.ZoneInfoNotFoundError) as error:
            if name not in self.told:
                self.told.add(name)
                self.log(f"scheduler: {name}: cannot evaluate {expression}: {error}")
            return
        start, end = schedule.get("StartDate"), schedule.get("EndDate")
        if not due or (start and minute < start) or (end and minute > end):
            return
        self.log(f"scheduler: {name}: due at {local.isoformat()} ({expression}): invoking {function.name}")
        function.invoke(due_input(schedule, minute), f"schedule {name}")

    def stop(self) -> None:
        self.stopping.set()

