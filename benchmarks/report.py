"""The results of run.py: the printed tables, and the files docs/performance.rst shows.

``write_docs()`` writes docs/performance_results.csv (the table),
docs/performance_curve.csv (the session-size curve), docs/performance_machine.csv (the
machine and versions) and, with matplotlib installed, docs/_static/performance.png.
"""

from __future__ import annotations

import csv
import datetime
import os
import platform
import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PEER_NAME = "falkordb-orm"
DASH = "\N{EN DASH}"  # the budget and within cells of a row without a budget


@dataclass
class Result:
    name: str
    runic: float
    raw: float
    budget: float | None
    peer: float | None  # seconds, None when there is no peer figure
    peer_text: str  # the peer cell when there is no figure, else its note (maybe "")
    rounds: int
    peer_rounds: int

    @property
    def ratio(self) -> float:
        return self.runic / self.raw

    @property
    def within(self) -> bool | None:
        return None if self.budget is None else self.ratio <= self.budget


@dataclass
class Curve:
    """Mean µs per get() in one session over each segment ending at ``sizes[i]``."""

    sizes: tuple[int, ...]
    runic: list[float]
    raw: list[float]
    peer: list[float] | None = None


@dataclass
class Report:
    results: list[Result]
    curve: Curve | None  # None when --only picked some workloads
    machine: dict[str, str]
    #: the peer cell when there is no peer at all
    no_peer: str = ""


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def describe_machine(backend: str, rounds: int, scale: float) -> dict[str, str]:
    """The machine, the versions and the settings of a run; ``backend`` is its title."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "backend": backend,
        "falkordb (client)": package_version("falkordb"),
        "falkordblite": package_version("falkordblite"),
        PEER_NAME: package_version(PEER_NAME),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d"),
        "rounds": f"best of {rounds}",
        "scale": f"{scale:g}",
    }


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def budget_text(result: Result) -> str:
    return DASH if result.budget is None else f"≤{result.budget:.2f}x"


def within_text(result: Result) -> str:
    return {None: DASH, True: "yes", False: "NO"}[result.within]


def rounds_text(count: int) -> str:
    return f"{count} round{'s' * (count != 1)}"


def peer_cells(result: Result) -> tuple[str, str]:
    """(time, ratio) of the peer, or (why there is none, "")."""
    if result.peer is None:
        return result.peer_text, ""
    time_cell = f"{milliseconds(result.peer)}ms"
    if result.peer_rounds < result.rounds:
        time_cell += f" ({rounds_text(result.peer_rounds)})"
    return time_cell, f"{result.peer / result.raw:.2f}x"


def print_report(report: Report, rounds: int) -> None:
    machine = report.machine
    print(
        f"best of {rounds} rounds, {machine['backend']}; ratio = runic/raw, peer ratio = peer/raw"
    )
    print(
        f"{machine['CPU']}, {machine['cores']} cores, Python {machine['Python']}, "
        f"falkordb {machine['falkordb (client)']}, falkordblite {machine['falkordblite']}"
        + (f", FalkorDB {machine['FalkorDB']}" if "FalkorDB" in machine else "")
    )
    print()
    width = max(len(result.name) for result in report.results) + 2
    header = (
        f"{'workload':<{width}}{'runic':>11}{'raw':>11}{'ratio':>8}{'budget':>9}{'within':>8}"
        f"   {PEER_NAME}"
    )
    print(header)
    print("-" * len(header))
    notes: list[str] = []
    for result in report.results:
        peer_time, peer_ratio = peer_cells(result)
        if result.peer is not None and result.peer_text:
            if result.peer_text not in notes:
                notes.append(result.peer_text)
            peer_ratio += f"  [{notes.index(result.peer_text) + 1}]"
        print(
            f"{result.name:<{width}}{milliseconds(result.runic):>9}ms"
            f"{milliseconds(result.raw):>9}ms{result.ratio:>7.2f}x{budget_text(result):>9}"
            f"{within_text(result):>8}   {peer_time}  {peer_ratio}".rstrip()
        )
    failed = [result.name for result in report.results if result.within is False]
    budgeted = sum(result.budget is not None for result in report.results)
    print(f"\nwithin budget: {budgeted - len(failed)} of {budgeted}")
    for number, note in enumerate(notes, 1):
        print(f"[{number}] {PEER_NAME}: {note}")

    curve = report.curve
    if curve is None:
        return
    print("\nsession-size curve: µs per get() in one session, mean over the gets since the")
    print("previous size (best of the rounds)")
    print(f"{'gets held':>10}{'runic':>10}{'raw':>10}{'ratio':>8}   {PEER_NAME}")
    for index, size in enumerate(curve.sizes):
        peer = f"{curve.peer[index]:.1f}" if curve.peer else report.no_peer
        if curve.peer:
            peer += f" ({curve.peer[index] / curve.raw[index]:.2f}x)"
        print(
            f"{size:>10,}{curve.runic[index]:>10.1f}{curve.raw[index]:>10.1f}"
            f"{curve.runic[index] / curve.raw[index]:>7.2f}x   {peer}"
        )


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file, lineterminator="\n").writerows(rows)
    return path


def write_docs(report: Report) -> list[Path]:
    """Write the tables, the machine and the chart that docs/performance.rst includes."""
    table = [
        [
            "Workload",
            "runic (ms)",
            "raw client (ms)",
            "runic / raw",
            "budget",
            "within",
            f"{PEER_NAME} (ms)",
            f"{PEER_NAME} / raw",
        ]
    ]
    notes = [["Workload", f"what {PEER_NAME} does"]]
    for result in report.results:
        peer_time, peer_ratio = result.peer_text, ""
        if result.peer is not None:
            peer_time = milliseconds(result.peer)
            peer_ratio = f"{result.peer / result.raw:.2f}"
            note = [result.peer_text] if result.peer_text else []
            if result.peer_rounds < result.rounds:
                note.insert(0, f"{rounds_text(result.peer_rounds)}.")
            if note:
                notes.append([result.name, " ".join(note)])
        table.append(
            [
                result.name,
                milliseconds(result.runic),
                milliseconds(result.raw),
                f"{result.ratio:.2f}",
                DASH if result.budget is None else f"≤ {result.budget:.1f}",
                within_text(result),
                peer_time,
                peer_ratio,
            ]
        )
    curve = report.curve
    assert curve is not None  # --write-docs runs the curve
    points = [["gets held", "runic (µs/get)", "raw (µs/get)", "runic / raw", PEER_NAME]]
    for index, size in enumerate(curve.sizes):
        points.append(
            [
                f"{size:,}",
                f"{curve.runic[index]:.1f}",
                f"{curve.raw[index]:.1f}",
                f"{curve.runic[index] / curve.raw[index]:.2f}",
                f"{curve.peer[index]:.1f}" if curve.peer else report.no_peer,
            ]
        )
    written = [
        write_csv(DOCS / "performance_results.csv", table),
        write_csv(DOCS / "performance_peer_notes.csv", notes),
        write_csv(DOCS / "performance_curve.csv", points),
        write_csv(
            DOCS / "performance_machine.csv", [list(item) for item in report.machine.items()]
        ),
    ]
    chart = write_chart(report, DOCS / "_static" / "performance.png")
    return [*written, *([chart] if chart else [])]


RUNIC, RAW, PEER, BUDGET = "#3b6ea5", "#555555", "#d08c3f", "#b8312f"


def write_chart(report: Report, path: Path) -> Path | None:
    """Two panels: each workload's ratios to the raw client with its budget, and the
    session-size curve. None, with a warning, without matplotlib."""
    try:
        import matplotlib
    except ModuleNotFoundError:
        print("matplotlib is not installed (./scripts/bench has it): no chart", file=sys.stderr)
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, NullLocator

    results = list(reversed(report.results))  # the first row at the top
    has_peer = any(result.peer is not None for result in results)
    figure, (bars, lines) = plt.subplots(
        2, 1, figsize=(10, 11.5), gridspec_kw={"height_ratios": [2.3, 1]}, layout="constrained"
    )
    height = 0.38 if has_peer else 0.6
    sides = [("runic / raw", RUNIC, [result.ratio for result in results], height / 2)]
    if has_peer:
        peer_ratios = [r.peer / r.raw if r.peer is not None else None for r in results]
        sides.append((f"{PEER_NAME} / raw", PEER, peer_ratios, -height / 2))
    else:
        sides[0] = (*sides[0][:3], 0.0)
    for label, color, ratios, offset in sides:
        shown = [(row, ratio) for row, ratio in enumerate(ratios) if ratio is not None]
        bars.barh(
            [row + offset for row, _ in shown],
            [ratio for _, ratio in shown],
            height,
            label=label,
            color=color,
        )
        for row, ratio in shown:
            right = ratio
            if color == RUNIC:  # clear of the budget marker
                right = max(ratio, results[row].budget or 0)
            bars.text(
                right * 1.03, row + offset, f"{ratio:.2f}", va="center", fontsize=7, color=color
            )
        for row, ratio in enumerate(ratios):
            if ratio is None:
                bars.text(1.02, row + offset, "n/a", va="center", fontsize=7, color=color)
    budgeted = [(row, result.budget) for row, result in enumerate(results) if result.budget]
    bars.scatter(
        [budget for _, budget in budgeted],
        [row + sides[0][3] for row, _ in budgeted],
        marker="|",
        s=300,
        linewidths=2.5,
        color=BUDGET,
        zorder=3,
        label="budget for runic / raw",
    )
    bars.axvline(1, color="black", linewidth=0.8)
    every = [ratio for _, _, ratios, _ in sides for ratio in ratios if ratio is not None]
    if max(every) > 4:
        bars.set_xscale("log")
        ticks = [t for t in (0.5, 1, 1.5, 2, 3, 5, 10, 20, 50, 100, 200) if t <= max(every) * 2]
        bars.xaxis.set_major_locator(FixedLocator(ticks))
        bars.xaxis.set_minor_locator(NullLocator())
        bars.set_xticklabels([f"{tick:g}" for tick in ticks])
    bars.set_xlim(left=min(0.8, min(every) * 0.9), right=max(every) * 1.4)  # room for labels
    bars.set_yticks(range(len(results)), [result.name for result in results], fontsize=9)
    bars.set_xlabel("time relative to the raw falkordb client (raw = 1; lower is better)")
    bars.set_title(f"runic{f' and {PEER_NAME}' if has_peer else ''} against the raw client")
    bars.legend(loc="lower right", fontsize=9)
    bars.grid(axis="x", alpha=0.3)

    curve = report.curve
    assert curve is not None
    lines.plot(curve.sizes, curve.runic, "o-", label="runic", color=RUNIC)
    lines.plot(curve.sizes, curve.raw, "s-", label="raw client", color=RAW)
    if curve.peer:
        lines.plot(curve.sizes, curve.peer, "^-", label=PEER_NAME, color=PEER)
    lines.set_xscale("log")
    lines.xaxis.set_major_locator(FixedLocator(list(curve.sizes)))
    lines.xaxis.set_minor_locator(NullLocator())
    lines.set_xticklabels([f"{size:,}" for size in curve.sizes])
    lines.set_ylim(bottom=0)
    lines.set_xlabel("gets held by the one session")
    lines.set_ylabel("µs per get()")
    lines.set_title("Session-size curve: the cost of a get() as the session grows")
    lines.legend(fontsize=9, loc="lower right")
    lines.grid(alpha=0.3)
    machine = report.machine
    figure.text(
        0.01,
        0.002,
        f"{machine['CPU']}, {machine['cores']} cores, Python {machine['Python']}, "
        f"FalkorDB {machine.get('FalkorDB', '?')}, {machine['rounds']}, {machine['date']}",
        fontsize=7,
        color="#666666",
    )
    path.parent.mkdir(exist_ok=True)
    figure.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(figure)
    return path
