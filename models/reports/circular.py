"""The monthly 通报 (circular): who keeps their deadlines, ranked; pure arithmetic and 公文 wording."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from models import tables
from models.engine import labels_of
from models.mail import percent, sender, target_title
from models.plan import Plan, WorkCalendar
from models.reports.standing import Mark3, Overdue, Standing, TargetLine
from models.vocabulary import UnitKind, kind_of


@dataclass(frozen=True)
class Tally:
    """One office's or community's own duties whose due day has passed by the circular's day."""

    key: str  # office:<id> | community:<id>
    name: str
    duties: int  # due before the day (optional items are no duty)
    on_time: int  # done on or before their due day
    overdue_open: int  # still open past their due day
    overdue_days: int  # working days late, summed: open ones up to the day, late ones until done
    longest: int  # the longest of those delays

    @property
    def rate(self) -> Fraction | None:
        """On-time rate; None when nothing has come due (无应办事项), which is not 100%."""
        return Fraction(self.on_time, self.duties) if self.duties else None


@dataclass(frozen=True)
class Ranked:
    rank: int | None  # None: nothing came due, listed last without a rank
    tally: Tally


def first_workday_of_month(calendar: WorkCalendar, day: date) -> date | None:
    """The first working day of `day`'s month (None in a month without one)."""
    current = day.replace(day=1)
    while current.month == day.month:
        if calendar.is_workday(current):
            return current
        current = date.fromordinal(current.toordinal() + 1)
    return None


def tally(plan: Plan, rows: Iterable[tables.Assignment], day: date, keys: Sequence[tuple[str, str]]) -> list[Tally]:
    """Per (key, name) in `keys`: the duties due before `day` and how they were kept, as of `day`."""
    calendar = plan.calendar()
    duties = {i.id for _, i in plan.items() if not i.optional}
    seen: dict[str, list[tuple[int, bool]]] = {key: [] for key, _ in keys}  # (working days late, still open)
    for a in rows:
        if a.assignee not in seen or a.item_id not in duties or a.due >= day or a.assigned_on > day:
            continue
        done = a.completed_on if a.completed_on is not None and a.completed_on <= day else None
        late = 0 if done is not None and done <= a.due else calendar.workdays_after(a.due, done or day)
        seen[a.assignee].append((late, done is None))
    result = []
    for key, name in keys:
        days = [late for late, _ in seen[key]]
        on_time = sum(1 for late, still_open in seen[key] if late == 0 and not still_open)
        open_late = sum(1 for late, still_open in seen[key] if late > 0 and still_open)
        result.append(Tally(key, name, len(days), on_time, open_late, sum(days), max(days, default=0)))
    return result


def competition_ranks(keys: Sequence[tuple[Fraction | int, ...]]) -> list[int]:
    """Standard competition ranking (1, 2, 2, 4): smaller keys rank higher, equal keys share a rank."""
    return [1 + sum(1 for other in keys if other < key) for key in keys]


def ranked(tallies: Iterable[Tally]) -> list[Ranked]:
    """Best first: higher on-time rate, then fewer open overdue items, then fewer days late; ties share a
    rank; those with nothing due come last, unranked."""
    with_duties = [t for t in tallies if t.rate is not None]
    without = [t for t in tallies if t.rate is None]
    keys = [(-(t.rate or Fraction(0)), t.overdue_open, t.overdue_days) for t in with_duties]
    ranks = competition_ranks(keys)
    order = sorted(zip(ranks, with_duties, strict=True), key=lambda pair: (pair[0], pair[1].name))
    return [Ranked(rank, t) for rank, t in order] + [Ranked(None, t) for t in sorted(without, key=lambda t: t.name)]


@dataclass(frozen=True)
class TargetRow:
    title: str
    by: date
    required: int
    achieved: int
    share_required: str
    share_achieved: str
    state: str  # 达成 / 未达成 / 进行中


def target_rows(plan: Plan, lines: Sequence[TargetLine]) -> list[TargetRow]:
    total = max(len(plan.communities), 1)
    targets = {t.id: t for t in plan.targets}
    return [
        TargetRow(
            target_title(targets[line.id]),
            line.by,
            line.required,
            line.achieved,
            percent(targets[line.id].min_share),
            percent(Fraction(line.achieved, total)),
            line.label,
        )
        for line in lines
        if line.id in targets
    ]


@dataclass(frozen=True)
class UnmetStandard:
    number: int
    text: str
    communities: list[str]  # names of the communities that have not met it


def unmet_standards(plan: Plan, matrix: dict[str, dict[str, Mark3]], bound: Iterable[str]) -> list[UnmetStandard]:
    """Per standard, the communities bound to meet the standards (`bound`) that have not met it yet."""
    names = {c.id: c.name for c in plan.communities}
    who = [c for c in names if c in set(bound)]
    rows = []
    for standard in plan.standards:
        missing = [names[c] for c in who if matrix.get(c, {}).get(str(standard.id)) != "met"]
        if missing:
            rows.append(UnmetStandard(standard.id, standard.text, missing))
    return sorted(rows, key=lambda r: (-len(r.communities), r.number))


@dataclass(frozen=True)
class Reports:
    """信息报送 (SPEC §8): each community's highlights in the month reported (the one before the circular's) and
    in its year so far, and the month's titles."""

    month: str  # 2022年1月
    counts: dict[str, tuple[int, int]]  # community key → (that month, that year to the circular's day)
    titles: list[str]  # 社区一：垃圾分类进小区

    def of(self, key: str) -> tuple[int, int]:
        return self.counts.get(key, (0, 0))


def reports(plan: Plan, highlights: Iterable[tables.Highlight], day: date) -> Reports | None:
    """None when the plan asks for no highlights (no submission item): the 通报 then has no 信息报送 at all."""
    if not plan.submissions():
        return None
    last = day.replace(day=1) - timedelta(days=1)  # the month the circular reports on
    names = labels_of(plan)
    counts: dict[str, tuple[int, int]] = {}
    titles = []
    for h in sorted(highlights, key=lambda h: (h.day, h.id or 0)):
        if h.day.year != last.year or h.day >= day:
            continue
        in_month = (h.day.year, h.day.month) == (last.year, last.month)
        month, year = counts.get(h.assignee, (0, 0))
        counts[h.assignee] = (month + in_month, year + 1)
        if in_month:
            titles.append(f"{names.get(h.assignee, '')}：{h.title}")
    return Reports(f"{last.year}年{last.month}月", counts, titles)


@dataclass(frozen=True)
class Circular:
    """Everything the 通报 says, already in the words officials read."""

    campaign: str
    sender: str
    day: date
    month: str  # 2022年2月
    offices: list[Ranked]
    communities: list[Ranked]
    targets: list[TargetRow]
    unmet: list[UnmetStandard]
    longest: list[Overdue]
    duties: int
    on_time: int
    overdue_open: int
    reports: Reports | None = None  # 信息报送, when the plan has submission items


LONGEST = 10  # items overdue longest, listed by name


def build_circular(
    plan: Plan,
    rows: Sequence[tables.Assignment],
    standing: Standing,
    standards_bound: Iterable[str],
    highlights: Iterable[tables.Highlight] = (),
) -> Circular:
    day = standing.as_of
    units = labels_of(plan).items()  # offices, then communities, in plan order
    offices = tally(plan, rows, day, [(key, name) for key, name in units if kind_of(key) is UnitKind.OFFICE])
    communities = tally(plan, rows, day, [(key, name) for key, name in units if kind_of(key) is UnitKind.COMMUNITY])
    everyone = offices + communities
    return Circular(
        campaign=plan.campaign.name,
        sender=sender(plan),
        day=day,
        month=f"{day.year}年{day.month}月",
        offices=ranked(offices),
        communities=ranked(communities),
        targets=target_rows(plan, standing.targets),
        unmet=unmet_standards(plan, standing.standards, standards_bound),
        longest=standing.overdue[:LONGEST],
        duties=sum(t.duties for t in everyone),
        on_time=sum(t.on_time for t in everyone),
        overdue_open=sum(t.overdue_open for t in everyone),
        reports=reports(plan, highlights, day),
    )
