#!/usr/bin/env python3
"""Cold starts of a function binary under AWS's real Lambda Runtime Interface Emulator.

Usage: cold_start.py RIE BINARY EVENT_FILE [RUNS] [--markdown]

Each run starts a fresh emulator (so a fresh process of BINARY, with this script's environment)
on a free loopback port and invokes it once with EVENT_FILE. It records the emulator's own
`INIT REPORT(durationMs: ...)` (exec of the binary to its first /next: the cold-start Init
Duration Lambda bills) and the wall time from the invocation request to its answer (init plus
the first event). Prints the medians and p90s in milliseconds as JSON (or, with --markdown, one
table row). The emulator's internal Runtime API binds 127.0.0.1:9001, so runs are sequential.
"""
import json
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from rie import Emulator  # noqa: E402

RIE, BINARY, EVENT_FILE = sys.argv[1:4]
EVENT = open(EVENT_FILE, "rb").read()
RUNS = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4].isdigit() else 20
MARKDOWN = "--markdown" in sys.argv
INIT = re.compile(r"INIT REPORT\(durationMs: ([0-9.]+)\)")


def one_run():
    """(init ms, first answer ms, answer) of one fresh emulator and binary."""
    with Emulator(RIE, BINARY) as emulator:
        start = time.perf_counter()
        answer = emulator.invoke(EVENT)
        first = (time.perf_counter() - start) * 1000
        init = INIT.search(emulator.logs())
    return (float(init.group(1)) if init else None), first, answer


def outcome(answer):
    """200-style status of an API answer, or ok/error for a scheduled function's."""
    if isinstance(answer, dict) and "statusCode" in answer:
        return str(answer["statusCode"])
    return "error: " + str(answer.get("errorMessage"))[:80] if isinstance(answer, dict) and "errorType" in answer else "ok"


inits, firsts, outcomes = [], [], set()
for _ in range(RUNS):
    init, first, answer = one_run()
    if init is not None:
        inits.append(init)
    firsts.append(first)
    outcomes.add(outcome(answer))

pct = lambda xs, q: round(sorted(xs)[min(len(xs) - 1, int(q * len(xs)))], 2) if xs else None
result = {
    "binary": os.path.basename(BINARY), "event": EVENT_FILE, "runs": RUNS,
    "init_ms_p50": round(statistics.median(inits), 2) if inits else None, "init_ms_p90": pct(inits, 0.9),
    "first_answer_ms_p50": round(statistics.median(firsts), 2), "first_answer_ms_p90": pct(firsts, 0.9),
    "answered": sorted(outcomes),
}
if MARKDOWN:
    r = result
    print(f"| {r['binary']} | {r['event']} | {r['init_ms_p50']} | {r['init_ms_p90']} | "
          f"{r['first_answer_ms_p50']} | {r['first_answer_ms_p90']} | {', '.join(r['answered'])} |")
else:
    print(json.dumps(result))
