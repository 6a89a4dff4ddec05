#!/usr/bin/env python3
"""Prints bench/run.sh's results as markdown: medians of the runs, ratios to
the health ceiling and to the lock baseline, peak RSS, audits, commands;
then the limits of the machine (bare Pistache, the disk's commit rate) and
each goal of issue 17 with its ratio and PASS/MISS, and the open-loop runs.
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

    def audits(rs):
        ok = sum(1 for r in rs if r["report"] and r["report"]["audit"].get("passed")
                 and r["exit"] == 0)
        return f"{ok}/{len(rs)}"

    bare = median([op(r["report"], "health", "successes_per_s") for r in of("bare")])
    wrk_bare = median([r["requests_per_s"] for r in of("wrk_bare")])
    out.append(f"| bare Pistache (bench/bare), boxoffice-loadgen | – | {fmt(bare)} | "
               f"{fmt(median([op(r['report'], 'health', 'latency_ms_p99') for r in of('bare')]), 2)}"
               f" | {ratio(bare, ceiling)} | – | – | the stack's HTTP ceiling |")
    out.append(f"| bare Pistache, wrk | – | {fmt(wrk_bare)} | "
               f"{fmt(median([wrk_ms(r['p99']) for r in of('wrk_bare')]), 2)}"
               f" | {ratio(wrk_bare, ceiling)} | – | – | reference client |")
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

    commits = of("commit_rate")
    commit_tps = median([r["tps"] for r in commits])
    fsync_rate = median([r["fdatasync_per_s"] for r in commits])
    out.append(f"| disk: single-row commits (pgbench, {connections} clients) | postgresql | "
               f"{fmt(commit_tps)} | – | {ratio(commit_tps, ceiling)} | – | – | avg latency "
               f"{fmt(median([r['latency_ms_avg'] for r in commits]), 2)} ms |")
    out.append(f"| disk: fdatasync of 4 KiB, one writer | sqlite | {fmt(fsync_rate)} | – | "
               f"{ratio(fsync_rate, ceiling)} | – | – | the work directory |")
    for kind, operation, label in (("seat_map", "seat_map", "seat map, 1,000 seats, fresh"),
                                   ("seat_map_cached", "seat_map",
                                    "seat map, 1,000 seats, If-None-Match (304)"),
                                   ("event_page", "event", "event page, 100 sections")):
        rs = of(kind, "sqlite")
        if rs:
            rate = median([op(r["report"], operation, "successes_per_s") for r in rs])
            p99 = median([op(r["report"], operation, "latency_ms_p99") for r in rs])
            out.append(f"| {label} | sqlite | {fmt(rate)} | {fmt(p99, 2)} | "
                       f"{ratio(rate, ceiling)} | – | {audits(rs)} | |")
    for kind, operation, label in (("health_high", "health", "health"),
                                   ("spread_high", "hold", "spread: holds")):
        for backend in ("sqlite", "postgresql"):
            rs = of(kind, backend)
            if rs:
                rate = median([op(r["report"], operation, "successes_per_s") for r in rs])
                p99 = median([op(r["report"], operation, "latency_ms_p99") for r in rs])
                out.append(f"| {label} at {fmt(median([r.get('connections') for r in rs]))} "
                           f"connections | {backend} | {fmt(rate)} | {fmt(p99, 2)} | "
                           f"{ratio(rate, ceiling)} | – | "
                           f"{audits(rs) if kind != 'health_high' else '–'} | |")

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
    out.extend(goals(rows, of, ceiling, bare, wrk, wrk_bare, commit_tps, fsync_rate, connections))
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
        for scenario in ("flash", "spread", "browse", "mixed", "quantity", "seat_map",
                         "seat_map_cached", "event_page", "spread_high"):
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


def goals(rows, of, ceiling, bare, wrk, wrk_bare, commit_tps, fsync_rate, connections):
    """Issue 17's goals: each measured ratio against its aim, PASS or MISS
    (and by how much), or "not measured"."""
    out = ["Goals of issue 17 (medians of this run):", "",
           "| goal | aim | measured | verdict |", "| --- | --- | --- | --- |"]

    def verdict(value, aim, at_least=True):
        if value is None:
            return "not measured"
        if value >= aim if at_least else value <= aim:
            return "**PASS**"
        if at_least:
            return f"**MISS** ({value / aim:.2f} of the aim)"
        return f"**MISS** ({value / aim:.2f}× the limit)"

    def row(goal, aim_text, aim, value, shown=None, at_least=True):
        if shown is None:
            shown = "–" if value is None else f"{value:.2f}"
        out.append(f"| {goal} | {aim_text} | {shown} | {verdict(value, aim, at_least)} |")

    def rate(kind, backend, operation):
        return median([op(r["report"], operation, "successes_per_s") for r in of(kind, backend)])

    def p99(kind, backend, operation):
        return median([op(r["report"], operation, "latency_ms_p99") for r in of(kind, backend)])

    def div(x, y):
        return x / y if x is not None and y else None

    row("health ÷ bare Pistache (boxoffice-loadgen)", "≥ 0.85", 0.85, div(ceiling, bare))
    row("health ÷ bare Pistache (wrk, reference)", "≥ 0.85", 0.85, div(wrk, wrk_bare))
    row("seat map (1,000 seats), fresh ÷ health", "≥ 0.7", 0.7,
        div(rate("seat_map", "sqlite", "seat_map"), ceiling))
    row("seat map (1,000 seats), If-None-Match (304) ÷ health", "≥ 0.7", 0.7,
        div(rate("seat_map_cached", "sqlite", "seat_map"), ceiling))
    row("event page (100 sections) ÷ health", "≥ 0.5", 0.5,
        div(rate("event_page", "sqlite", "event"), ceiling))
    # The disk's limit of each backend: PostgreSQL's single-row commit rate
    # at the same concurrency; for SQLite (one writer) the fdatasync rate.
    row(f"spread holds ÷ fdatasync rate, {connections} connections, sqlite", "≥ 1.0", 1.0,
        div(rate("spread", "sqlite", "hold"), fsync_rate))
    row(f"spread holds ÷ pgbench single-row commits, {connections} connections, postgresql",
        "≥ 1.0", 1.0, div(rate("spread", "postgresql", "hold"), commit_tps))
    high_health = rate("health_high", "sqlite", "health")
    for backend in ("sqlite", "postgresql"):
        high = median([r.get("connections") for r in of("spread_high", backend)])
        row(f"spread holds ÷ health at {fmt(high)} connections, {backend}", "≥ 0.5", 0.5,
            div(rate("spread_high", backend, "hold"), high_health))
    for backend in ("sqlite", "postgresql"):
        v = p99("spread", backend, "hold")
        row(f"hold p99 (spread, {connections} connections), {backend}", "≤ 5 ms", 5.0, v,
            None if v is None else f"{v:.2f} ms", at_least=False)
    for backend in ("sqlite", "postgresql"):
        row(f"mixed hold p99 ÷ spread hold p99, {backend}", "≤ 2×", 2.0,
            div(p99("mixed", backend, "hold"), p99("spread", backend, "hold")), at_least=False)
    # The journal's scenarios (bench/run.sh, "journal scenarios").
    flash = of("flash20k")
    if flash:
        sales = median([op(r["report"], "purchase", "successes_per_s") for r in flash])
        fp99 = median([op(r["report"], "purchase", "latency_ms_p99") for r in flash])
        out.append(f"| flash of 20,000 seats at 1,024 connections (journal) | reported | "
                   f"{fmt(sales)} sales/s, p99 {fmt(fp99, 2)} ms | reported |")
    else:
        out.append("| flash of 20,000 seats at 1,024 connections (journal) | reported | – "
                   "| not measured |")
    mem = of("memory_1m")
    row("server RSS, one event of 1M seats half sold (journal)", "≤ 100 MiB", 100.0,
        median([r.get("rss_mib") for r in mem]), at_least=False)
    row("recovery of it (journal)", "≤ 2 s", 2.0, median([r.get("recovery_s") for r in mem]),
        at_least=False)
    # bench/login_storm.sh: default Argon2id cost.
    logins = of("login_rate")
    if logins:
        out.append(f"| logins at the default Argon2id cost (login storm) | reported | "
                   f"{fmt(median([r.get('logins_per_s') for r in logins]))} logins/s, "
                   f"{fmt(median([r.get('logins_per_cpu_s') for r in logins]), 1)} per core "
                   f"(per CPU-second) | reported |")
    else:
        out.append("| logins at the default Argon2id cost (login storm) | reported | – | not measured |")
    row("login storm: hold p99 with 200 logins/s ÷ without", "≤ 1.5×", 1.5,
        median([r.get("ratio") for r in of("login_storm")]), at_least=False)
    out.append("")
    opens = [r for r in rows if r["kind"].startswith("open_")]
    if opens:
        out.append("Open loop (`--rate`: requests sent at a fixed rate whatever the answers, "
                   "latency from each one's intended send time):")
        out.append("")
        out.append("| what | backend | % of max | intended /s | achieved /s | p50 ms | p99 ms "
                   "| p99.9 ms | max ms | load |")
        out.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for r in opens:
            report = r.get("report") or {}
            operation = "health" if "health" in r["kind"] else "hold"
            o = report.get("operations", {}).get(operation, {})
            what, percent = r["kind"][len("open_"):].rsplit("_", 1)
            out.append(f"| {what} ({operation}) | {r['backend']} | {percent} | "
                       f"{fmt(report.get('rate_per_s_intended'))} | "
                       f"{fmt(o.get('attempts_per_s'))} | {fmt(o.get('latency_ms_p50'), 2)} | "
                       f"{fmt(o.get('latency_ms_p99'), 2)} | {fmt(o.get('latency_ms_p999'), 2)} | "
                       f"{fmt(o.get('latency_ms_max'), 2)} | {r.get('load', '')} |")
    return out


main()
