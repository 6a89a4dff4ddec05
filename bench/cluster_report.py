#!/usr/bin/env python3
"""Prints bench/cluster_bench.sh's results as markdown: holds/s through 1, 2
and 3 nodes, then per fault the unavailability of the events that moved
(against the goals of issue 13), the hold latencies and the server's
counters, each with the load average it was measured at.
Usage: cluster_report.py results.jsonl date commit settings"""
import json
import os
import sys


def fmt(x, digits=0):
    if x is None:
        return "–"
    return f"{x:,.{digits}f}"


def trio(s):
    if not s or not s.get("n"):
        return "–"
    return f"{fmt(s['p50'])} / {fmt(s['p99'])} / {fmt(s['max'])}"


def placed(p, phase):
    if not p:
        return "–"
    # After a hang the node rejoins and wins its events back: they end where
    # they began, at a higher epoch (taken over, then moved back).
    wrong = (p["moved_not_placed_to_move"] or p["placed_to_move_but_stayed"]
             or (p["owner_not_at_placement_after"] and phase != "hang"))
    if phase == "hang" and not wrong:
        return f"{p['moved']} of {p['should_move']} taken over, then back at c, yes"
    text = f"{p['moved']} of {p['should_move']} placed to move"
    return text + (f" **no**: {json.dumps(p)}" if wrong else ", yes")


def spans(log):
    parts = []
    for key, label in (("took", "took"), ("moved", "moved"), ("link_down", "link down"),
                       ("declared_dead", "DECLARED DEAD")):
        if key in log:
            v = log[key]
            parts.append(f"{v['n']} {label} {v['first_ms']}–{v['last_ms']}")
    return "; ".join(parts) or "–"


def commits(r):
    m = r["metrics"]
    n = m.get("journal_commits") or 0
    rows = m.get("journal_rows") or 0
    return f"{fmt(n / r['seconds'])} ({rows / n:.1f})" if n else "–"


def main():
    results, date, commit, settings = sys.argv[1:5]
    rows = [json.loads(line) for line in open(results) if line.strip()]
    lease_ms = 1000 * int(dict(kv.split("=") for kv in settings.split())["lease_s"])
    out = [f"Run: {date}, commit `{commit}`, {os.cpu_count()} cores shared by every node, "
           f"PostgreSQL, the clients and the machine's other users; {settings}.", ""]

    tp = [r for r in rows if r["kind"] == "throughput"]
    one = next((r["holds_per_s"] for r in tp if r["nodes"] == 1), None)
    out += ["| nodes | load before → after | holds/s | ÷ 1 node | hold p50 ms (median loadgen) "
            "| hold p99 ms (worst loadgen) | forwarded ÷ requests | failed holds | audits passed "
            "| journal commits/s (rows each) | PostgreSQL commits/s | PostgreSQL connections "
            "| members declared dead |",
            "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |"]
    for r in tp:
        fwd = r["metrics"].get("forwarded", 0)
        out.append(f"| {r['nodes']} | {r['load_before']} → {r['load_after']} | "
                   f"{fmt(r['holds_per_s'])} | "
                   + (f"{r['holds_per_s'] / one:.2f}" if one else "–")
                   + f" | {fmt(r['hold_p50_ms_median'], 1)} | {fmt(r['hold_p99_ms_worst'], 1)} | "
                   + (f"{fwd / r['requests']:.2f}" if r["requests"] else "–")
                   + f" | {r['failures']} | {r['audits_passed']} of {r['loadgens']} | "
                   + commits(r) + f" | {fmt(r['pg_commits'] / r['seconds'])} | "
                   + f"{r['pg_connections']} | {r.get('declared_dead', '–')} |")
    out.append("")

    goals = {"join": ("p99", 200), "drain": ("p99", 200), "leave": ("p99", 200),
             "crash": ("max", 1000), "hang": ("max", lease_ms + 1000)}
    out += ["Unavailability per event that moved: the longest time between two successful "
            "probe requests of the event (hold, release) in the window from the fault to "
            "its settling, p50 / p99 / max over the moved events, in ms. Hold latency: the "
            "probe's holds (all events) in the steady seconds before the fault vs in the "
            "window; background: a loadgen through node a over the whole phase.", "",
            "| fault | load at fault | moved | unavailable p50 / p99 / max ms | goal | met | "
            "steady gap p50 / p99 / max | probe hold p99 steady → during | background hold p99 "
            "(failures) | server move ms mean (p99 ≤) | nodes' logs: takes / moves done, ms after the fault "
            "| fenced | not 2xx (probe) | probe audit | moved = placement's share |",
            "| --- | --- | ---: | --- | --- | --- | --- | --- | --- | --- | --- | ---: | --- | --- | --- |"]
    for r in rows:
        if r["kind"] != "fault":
            continue
        goal = goals.get(r["phase"])
        moved = r["moved"].get("gap_ms", {})
        met = "–"
        goal_text = "–"
        if goal and moved.get("n"):
            met = "yes" if moved[goal[0]] <= goal[1] else "**no**"
            goal_text = f"{goal[0]} ≤ {goal[1]}"
        elif goal:
            goal_text = f"{goal[0]} ≤ {goal[1]}"
        m = r["metrics"]
        bg = r.get("background_loadgen") or {}
        aud = r["probe_audit"]
        out.append(
            f"| {r['fault']} | {r['load_at_fault']} | {r['moved_events']} | {trio(moved)} | "
            f"{goal_text} | {met} | {trio(r['steady'].get('gap_ms'))} | "
            f"{fmt(r['steady'].get('hold_latency_ms', {}).get('p99'))} → "
            f"{fmt(r['all'].get('hold_latency_ms', {}).get('p99'))} | "
            f"{fmt(bg.get('p99_ms'), 1)} ({bg.get('failures', '–')}) | "
            f"{fmt(m.get('move_ms_mean'), 1)} ({fmt(m.get('move_ms_p99_at_most'))}) | "
            f"{spans(r.get('log', {}))} | "
            f"{fmt(m.get('fenced_commits'))} | {json.dumps(r['all'].get('not_2xx', {}))} | "
            f"{aud['missing_in_database']} of {aud['acknowledged_holds']} missing"
            + (f"; released 404, in the db: {json.dumps(aud['release_404_holds_in_database'])}"
               if aud.get("release_404_holds_in_database") else "") + " | "
            f"{placed(r.get('placement'), r['phase'])} |")
    for r in rows:
        if r["kind"] == "hang_fence":
            out += ["", f"Hang: node c's boxoffice_fenced_commits_total {r['c_fenced_before']} "
                        f"before the SIGSTOP, {r['c_fenced_after']} after the SIGCONT."]
    print("\n".join(out))


if __name__ == "__main__":
    main()
