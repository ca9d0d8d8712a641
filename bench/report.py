"""The results: one row per job, the geometric means, the targets' verdicts, as a Markdown table.

Every ratio is a side's best time over the floor's best time for the same job (lower is better): ``wall`` from
:func:`time.perf_counter`, ``CPU`` from :func:`time.process_time`. The other libraries' ratios are taken over
the same floor figures as ours.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from _common import Best, Pair

#: The targets: client CPU of every job, the geometric means, and the memory of iterating 100,000 documents.
CPU_EACH, CPU_GEOMEAN, WALL_GEOMEAN, MEMORY_MB = 1.10, 1.05, 0.95, 10.0
#: The other libraries, by the name their column carries.
OTHERS = ("2.15.0", "ibmcloudant")


@dataclass
class Row:
    """One job's figures: ours and the floor's, and the other libraries' where they ran."""

    key: str
    label: str
    size: str
    pair: Optional[Pair]
    in_geomean: bool = True
    #: For an informational row: the key of the row it sets against a stricter floor (see :func:`verdicts`).
    stands_for: str = ""
    others: Dict[str, Optional[Best]] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)

    def ratio(self, side: str, metric: str) -> Optional[float]:
        """``side``'s (``"ours"`` or a name of :data:`OTHERS`) best ``metric`` (``wall``/``cpu``) over the floor's."""
        if self.pair is None:
            return None
        best = self.pair.ours if side == "ours" else self.others.get(side)
        if best is None:
            return None
        floor = getattr(self.pair.bare, metric)
        return getattr(best, metric) / floor if floor > 0 else None


@dataclass
class MemoryRow:
    """Peak RSS of one iteration in a fresh process, and the floor loop's."""

    label: str
    docs: int
    peak_mb: Optional[float]
    bare_peak_mb: Optional[float]
    note: str = ""

    @property
    def over_bare(self) -> Optional[float]:
        if self.peak_mb is None or self.bare_peak_mb is None:
            return None
        return self.peak_mb - self.bare_peak_mb


def geomean(values: Sequence[Optional[float]]) -> Optional[float]:
    """The geometric mean of ``values``, or ``None`` when any is missing."""
    if not values or any(value is None or value <= 0 for value in values):
        return None
    return math.exp(sum(math.log(value) for value in values) / len(values))  # type: ignore[arg-type]


def geomeans(rows: List[Row]) -> Dict[str, Optional[float]]:
    """Geometric means over the jobs that count, per column: ``"ours wall"``, ``"2.15.0 cpu"``..."""
    counted = [row for row in rows if row.in_geomean]
    return {"%s %s" % (side, metric): geomean([row.ratio(side, metric) for row in counted])
            for side in ("ours",) + OTHERS for metric in ("wall", "cpu")}


def _ratio(value: Optional[float], limit: Optional[float] = None, digits: int = 3) -> str:
    if value is None:
        return "-"
    text = "%.*f" % (digits, value)
    return "**%s**" % text if limit is not None and value > limit else text


def _seconds(value: Optional[float]) -> str:
    return "-" if value is None else "%.3f" % value


def table(rows: List[Row], columns: Sequence[str]) -> str:
    """The Markdown table: ``columns`` are the other libraries shown (a subset of :data:`OTHERS`)."""
    header = ["job", "size", "bare wall s", "bare CPU s", "ours wall s", "ours CPU s", "wall ratio", "CPU ratio"]
    for name in columns:
        header += ["%s wall" % name, "%s CPU" % name]
    header.append("note")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        pair = row.pair
        label = row.label if row.in_geomean else "(info) " + row.label
        cells = [label, row.size, _seconds(pair and pair.bare.wall), _seconds(pair and pair.bare.cpu),
                 _seconds(pair and pair.ours.wall), _seconds(pair and pair.ours.cpu),
                 _ratio(row.ratio("ours", "wall")), _ratio(row.ratio("ours", "cpu"), CPU_EACH if row.in_geomean
                                                             else None)]
        for name in columns:
            cells += [_ratio(row.ratio(name, "wall"), digits=2), _ratio(row.ratio(name, "cpu"), digits=2)]
        cells.append("; ".join(row.notes))
        lines.append("| " + " | ".join(cells) + " |")
    means = geomeans(rows)
    cells = ["**geometric mean**", "%d jobs" % sum(1 for row in rows if row.in_geomean), "", "", "", "",
             _ratio(means["ours wall"], WALL_GEOMEAN), _ratio(means["ours cpu"], CPU_GEOMEAN)]
    for name in columns:
        cells += [_ratio(means["%s wall" % name], digits=2), _ratio(means["%s cpu" % name], digits=2)]
    lines.append("| " + " | ".join(cells + [""]) + " |")
    return "\n".join(lines)


def memory_table(rows: List[MemoryRow]) -> str:
    lines = ["| iteration (fresh process) | docs | peak RSS MB | bare loop peak MB | over bare MB | note |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append("| %s | %d | %s | %s | %s | %s |" % (
            row.label, row.docs, _mb(row.peak_mb), _mb(row.bare_peak_mb), _mb(row.over_bare, signed=True), row.note))
    return "\n".join(lines)


def _mb(value: Optional[float], signed: bool = False) -> str:
    if value is None:
        return "-"
    return ("%+.1f" if signed else "%.1f") % value


def verdicts(rows: List[Row], memory: List[MemoryRow], full: bool) -> List[str]:
    """One line per target: met or not, and by how much. ``full``: every job of the definition was run."""
    counted = [row for row in rows if row.in_geomean]
    means = geomeans(rows)
    over = ["%s %.3f" % (row.label, ratio) for row in counted
            for ratio in [row.ratio("ours", "cpu")] if ratio is not None and ratio > CPU_EACH]
    missing = [row.label for row in counted if row.ratio("ours", "cpu") is None]
    lines = []
    if missing:
        lines.append("client CPU, every job <= %.2fx: **not measured** for %s" % (CPU_EACH, ", ".join(missing)))
    else:
        lines.append("client CPU, every job <= %.2fx: %s" % (
            CPU_EACH, "met" if not over else "**not met** (%s)" % ", ".join(over)))
    lines.append(_verdict("client CPU geometric mean", means["ours cpu"], CPU_GEOMEAN))
    lines.append(_verdict("wall geometric mean", means["ours wall"], WALL_GEOMEAN))
    for row in memory:
        if row.label.startswith("ours") and row.over_bare is not None:
            lines.append("memory, %s over %d docs within %.0f MB of the bare loop's peak: %s (%+.1f MB)" % (
                row.label[len("ours: "):], row.docs, MEMORY_MB, "met" if row.over_bare <= MEMORY_MB else
                "**not met**", row.over_bare))
    for info in (row for row in rows if row.stands_for and row.pair is not None):
        swapped = [info if row.key == info.stands_for else row for row in counted]
        means = geomeans([Row(row.key, row.label, row.size, row.pair) for row in swapped])
        lines.append("with the stricter floor of \"%s\" in place of its row: client CPU geometric mean %s, wall %s"
                     % (info.label, _ratio(means["ours cpu"], CPU_GEOMEAN), _ratio(means["ours wall"], WALL_GEOMEAN)))
    if not full:
        lines.append("(a partial run: the geometric means cover only the jobs run)")
    return lines


def _verdict(what: str, value: Optional[float], target: float) -> str:
    if value is None:
        return "%s <= %.2fx: **not measured**" % (what, target)
    return "%s <= %.2fx: %s (%.3f)" % (what, target, "met" if value <= target else "**not met**", value)
