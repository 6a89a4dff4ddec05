#!/usr/bin/env python3
"""Prints bench/run.sh's results as markdown: medians of the runs, ratios to
the health ceiling and to the lock baseline, peak RSS, audits, commands.
Usage: summarize.py results.jsonl commands.txt date commit load_before
       load_after runs seconds connections"""
import json
import os
import statistics
import sys


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(x, digits=0):
    if x is None:
        return "–"
    return f"{x:,.{digits}f}"


def wrk_ms(text):
    """wrk's durations: 850.00us, 12.34ms, 1.20s."""
    for suffix, scale in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(suffix):
            return float(text[:-len(suffix)]) * scale
    return None


def op(report, name, field):
    ops = (report or {}).get("operations", {})
    return ops.get(name, {}).get(field)


def main():
    (results, commands, date, commit, load_before, load_after, runs, seconds,
     connections) = sys.argv[1:10]
    rows = [json.loads(line) for line in open(results) if line.strip()]

    def of(kind, backend=None):
        return [r for r in rows if r["kind"] == kind
                and (backend is None or r.get("backend") == backend)]

    ceiling = median([op(r["report"], "health", "successes_per_s") for r in of("health")])
    wrk = median([r["requests_per_s"] for r in of("wrk_health")])
    base_runs = of("lock_baseline")
    baseline = median([r["tps"] * r["held"] / r["processed"] for r in base_runs
                       if r["processed"]])
    out = []
    out.append(f"Run: {date}, commit `{commit}`, {os.cpu_count()} cores, load "
               f"{load_before} before, {load_after} after. Medians of {runs} runs "
               f"of at most {seconds} s, {connections} connections, client threads 2.")
    out.append("")
    out.append("| measurement | backend | median /s | p99 ms (median) | ÷ health ceiling "
               "| ÷ lock baseline | audits passed | note |")
    out.append("| --- | --- | ---: | ---: | ---: | ---: | --- | --- |")

    def ratio(x, y):
        return f"{x / y:.2f}" if x is not None and y else "–"

    out.append(f"| health ceiling, boxoffice-loadgen | – | {fmt(ceiling)} | "
               f"{fmt(median([op(r['report'], 'health', 'latency_ms_p99') for r in of('health')]), 2)}"
               f" | 1.00 | – | – | loadgen ÷ wrk: {ratio(ceiling, wrk)} |")
    out.append(f"| health ceiling, wrk | – | {fmt(wrk)} | "
               f"{fmt(median([wrk_ms(r['p99']) for r in of('wrk_health')]), 2)}"
               f" | {ratio(wrk, ceiling)} | – | – | reference client |")
    dups = sum(r.get("duplicates", 0) for r in base_runs)
    out.append(f"| lock baseline holds (pgbench, no HTTP) | postgresql | {fmt(baseline)} | – | "
               f"{ratio(baseline, ceiling)} | 1.00 | {len(base_runs) - sum(1 for r in base_runs if r.get('duplicates'))}"
               f"/{len(base_runs)} no double hold | {fmt(median([r['tps'] for r in base_runs]))} "
               f"tx/s, avg latency {fmt(median([r['latency_ms_avg'] for r in base_runs]), 2)} ms, "
               f"{dups} duplicates |")

    def audits(rs):
        ok = sum(1 for r in rs if r["report"] and r["report"]["audit"].get("passed")
                 and r["exit"] == 0)
        return f"{ok}/{len(rs)}"

    lines = [
        ("flash", "hold", "holds (then purchase)"),
        ("flash", "purchase", "purchases"),
        ("spread", "hold", "holds"),
        ("browse", None, "reads (seat map + event)"),
        ("mixed", None, "requests"),
        ("quantity", "hold", "holds of 2–4 seats"),
    ]
    for backend in ("sqlite", "postgresql"):
        for scenario, operation, label in lines:
            rs = of(scenario, backend)
            if not rs:
                continue
            reports = [r["report"] for r in rs]
            note = ""
            if operation:
                rate = median([op(x, operation, "successes_per_s") for x in reports])
                p99 = median([op(x, operation, "latency_ms_p99") for x in reports])
            elif scenario == "browse":
                rate = median([(op(x, "seat_map", "successes_per_s") or 0)
                               + (op(x, "event", "successes_per_s") or 0)
                               for x in reports if x])
                p99 = median([op(x, "seat_map", "latency_ms_p99") for x in reports])
                note = "p99 of seat maps"
            else:
                rate = median([x and x.get("requests_per_s") for x in reports])
                p99 = median([op(x, "hold", "latency_ms_p99") for x in reports])
                note = "p99 of holds"
            elapsed = median([x and x.get("elapsed_s") for x in reports])
            note = (note + "; " if note else "") + f"{fmt(elapsed, 2)} s"
            if scenario == "spread":
                rss = median([r.get("peak_rss_kib") for r in rs])
                note += f"; server peak RSS {fmt(rss / 1024 if rss else None, 0)} MiB"
            if scenario in ("flash", "spread", "quantity") and operation == "hold":
                sold = median([x and x["audit"].get("facts", {}).get(
                    "db_tickets_sold" if scenario == "flash" else "db_holds") for x in reports])
                note += f"; {fmt(sold)} {'sold' if scenario == 'flash' else 'holds'} in the db"
            if scenario == "quantity":
                facts = [x["audit"].get("facts", {}) for x in reports if x]
                seats = median([f.get("db_seats_held") for f in facts])
                per_hold = median([f["db_seats_held"] / f["db_holds"] for f in facts
                                   if f.get("db_holds")])
                note += f"; {fmt(seats)} seats held, {fmt(rate * per_hold if rate and per_hold else None)} seats/s"
            base = ratio(rate, baseline) if scenario == "spread" else "–"
            out.append(f"| {scenario}: {label} | {backend} | {fmt(rate)} | {fmt(p99, 2)} | "
                       f"{ratio(rate, ceiling)} | {base} | {audits(rs)} | {note} |")
    out.append("")
    failures = []
    for r in rows:
        rep = r.get("report")
        if "exit" in r and (rep is None or r["exit"] != 0):
            failures.append(f"- {r['kind']} on {r.get('backend')} run {r['run']}: exit "
                            f"{r['exit']}" + (f", violations: {rep['audit'].get('violations')}"
                                              if rep else ""))
    out.append("Audit failures: none." if not failures else "Audit failures:")
    out.extend(failures)
    out.append("")
    out.append("Errors seen (summed over runs):")
    for backend in ("sqlite", "postgresql"):
        for scenario in ("flash", "spread", "browse", "mixed", "quantity"):
            totals = {}
            for r in of(scenario, backend):
                for name, o in ((r["report"] or {}).get("operations") or {}).items():
                    for what, n in o.get("failures", {}).items():
                        totals[f"{name} {what}"] = totals.get(f"{name} {what}", 0) + n
            if totals:
                out.append(f"- {scenario}/{backend}: " + ", ".join(
                    f"{k}: {v}" for k, v in sorted(totals.items())))
    out.append("")
    out.append("Commands (one server per run, fresh database; see bench/run.sh for its "
               "environment):")
    out.append("```")
    out.append("bench/run.sh")
    out.extend(line.rstrip() for line in open(commands))
    out.append("```")
    print("\n".join(out))


main()
