"""The local check of a run_graphql document: CPU per document, 6 KB against small, and thirty at once.

    python bench/graphql_check.py          # or: python bench/run.py --only graphql_check

1. CPU of one check (parse, bounds, schema validation: `analysis.examine`) of each 6 KB shape of
   tests/graphql/test_analysis.py, as run_graphql runs it (stopped at its CPU budget, CHECK_BUDGET) and
   whole (no budget), against a one-search document, interleaved, this thread's CPU clock, medians
   (goal: under 50 ms as run_graphql runs it; the ratio of the whole check says how linear it is: the
   6 KB documents are 16 times the small one).
2. Thirty 6 KB checks at once (`examine_off_loop`, as run_graphql calls it) beside a task that asks the
   event loop for a turn every 10 ms: how late its worst turn came, against the same task alone.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.graphql.test_analysis import SEARCH, SIX_KB
from upwork_mcp.graphql import bundled_schema
from upwork_mcp.graphql.analysis import CHECK_BUDGET, _recent, examine, examine_off_loop

SMALL = "query { " + SEARCH.format(i=0) + " }"  # one job search, thirty fields
GOAL_MS = 50.0


def _cpu_ms(text: str, schema: Any, budget: float = 3_600.0) -> tuple[float, bool]:
    """(CPU ms of one check, whether it was checked whole)"""
    _recent.cache_clear()  # parsed anew, as a new call's document is
    start = time.thread_time()
    examined = examine(text, None, schema, budget=budget)
    # (some shapes do not fit the schema, unused variables say: found all the same)
    return (time.thread_time() - start) * 1000, examined.checked


async def _worst_lateness_ms(running: Callable[[], bool]) -> float:
    """The latest an event-loop turn asked for every 10 ms came, while `running()`."""
    worst = 0.0
    while running():
        asked = time.perf_counter()
        await anyio.sleep(0.01)
        worst = max(worst, time.perf_counter() - asked - 0.01)
    return worst * 1000


async def _thirty_at_once(schema: Any, text: str) -> tuple[float, float]:
    """(seconds until all thirty were checked, the worst event-loop lateness meanwhile)"""
    done = anyio.Event()
    lateness: list[float] = []
    start = time.perf_counter()

    async def watch() -> None:
        lateness.append(await _worst_lateness_ms(lambda: not done.is_set()))

    async with anyio.create_task_group() as tg:
        tg.start_soon(watch)
        async with anyio.create_task_group() as checks:
            for _ in range(30):
                checks.start_soon(examine_off_loop, text, None, schema)
        took = time.perf_counter() - start
        done.set()
    return took, lateness[0]


async def graphql_check(rounds: int) -> dict[str, Any]:
    schema = bundled_schema()
    examine(SMALL, None, schema)  # graphql-core's first-use costs are not a check's
    small: list[float] = []
    whole: dict[str, list[float]] = {shape: [] for shape in SIX_KB}
    bounded: dict[str, list[tuple[float, bool]]] = {shape: [] for shape in SIX_KB}
    for _ in range(rounds):
        for shape, text in SIX_KB.items():
            small.append(_cpu_ms(SMALL, schema)[0])
            whole[shape].append(_cpu_ms(text, schema)[0])
            bounded[shape].append(_cpu_ms(text, schema, CHECK_BUDGET))
    small_ms = statistics.median(small)
    per_shape = {
        shape: {
            "bytes": len(SIX_KB[shape]),
            "cpu_ms": statistics.median(v),
            "ratio": statistics.median(v) / small_ms,
            "bounded_cpu_ms": statistics.median(ms for ms, _ in bounded[shape]),
            "bounded_checked_whole": sum(checked for _, checked in bounded[shape]) / rounds,
        }
        for shape, v in whole.items()
    }
    worst = max(per_shape, key=lambda s: per_shape[s]["cpu_ms"])
    until = time.perf_counter() + 1.0
    alone = await _worst_lateness_ms(lambda: time.perf_counter() < until)
    took, loaded = await _thirty_at_once(schema, SIX_KB[worst])
    return {
        "small_cpu_ms": small_ms,
        "shapes": per_shape,
        "worst_shape": worst,
        "goal_ms": GOAL_MS,
        "thirty_at_once": {"shape": worst, "all_checked_s": took, "loop_late_ms": loaded, "loop_late_alone_ms": alone},
    }


def rows(r: dict[str, Any]) -> list[str]:
    """Rows of bench/run.py's main table."""
    out = []
    for shape, m in r["shapes"].items():
        ok = m["bounded_cpu_ms"] < r["goal_ms"]
        out.append(
            f"| run_graphql local check, 6 KB, {shape} ({m['bytes']} bytes) | {m['bounded_cpu_ms']:.1f} ms CPU "
            f"(checked whole {m['bounded_checked_whole']:.0%} of runs; without the budget {m['cpu_ms']:.1f} ms) | "
            f"{r['small_cpu_ms']:.2f} ms (a {len(SMALL)}-byte search) | {m['ratio']:.0f}x (without the budget) | "
            f"< {r['goal_ms']:.0f} ms | {'meets goal' if ok else 'MISSES goal'} |"
        )
    t = r["thirty_at_once"]
    out.append(
        f"| thirty 6 KB checks at once ({t['shape']}): the event loop's latest turn | {t['loop_late_ms']:.1f} ms "
        f"(all checked in {t['all_checked_s']:.2f} s) | {t['loop_late_alone_ms']:.1f} ms (no checks running) | "
        f"+{t['loop_late_ms'] - t['loop_late_alone_ms']:.1f} ms | - | - |"
    )
    return out


if __name__ == "__main__":
    result = anyio.run(graphql_check, 9)
    print("\n".join(rows(result)))
