#!/usr/bin/env python3
"""The availability probe of bench/cluster_bench.sh (Python 3 standard library only).

  cluster_probe.py setup --url URL --admin-email E --admin-password P --events N --out FILE
      creates N events on sale (one reserved section of 10 x 30 seats each) and one
      customer, round-robin over the nodes in URL (comma-separated), and writes
      {"events": [...], "token": "..."} to FILE.
  cluster_probe.py run --urls U1,U2 --setup FILE --out FILE [--period-ms 40]
      one thread per event: hold one best-available seat, release it, hold again, ...
      as fast as every period, through the nodes in turn; until SIGTERM or SIGINT.
      Writes every request as [event, op, t_start, t_end, status] (wall clock, s).
  cluster_probe.py gaps --trace FILE --from T0 --to T1 [--events 1,2,3]
      per event, the longest time between two consecutive successes (2xx) whose
      completions fall in [T0, T1] (with the last success before T0): p50/p99/max
      over the events, and the hold latencies in that window: p50/p99/max.
  cluster_probe.py audit --trace FILE --db URL
      every 201 hold of the trace is in the holds table (psql).
  cluster_probe.py owners --url URL --admin-email E --admin-password P --setup F --out FILE
      {event: [owner node, epoch]} of the probe's events.
  cluster_probe.py placement --before O1 --after O2 --nodes-before a,b,c --nodes-after a,b,c,d
      did exactly the events whose placement (cluster/placement.cpp) changed move?
  cluster_probe.py moves --before M1,M2 --after M1,M2
      moves, the old owners' move histogram, fenced commits, forwards and journal
      commits, from /metrics dumps of the nodes, after minus before.
A request that fails for the move (a 5xx, no answer) is not a success: it
lengthens the gap; the trace keeps its status and problem code. 409 (sold out,
seat taken) does not happen here (one seat held at a time of 300).
"""
import argparse
import http.client
import json
import signal
import subprocess
import sys
import threading
import time
import urllib.parse


def split_url(url):
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port or 80


class Client:
    """One keep-alive connection per node, reopened after any failure."""

    def __init__(self, urls, timeout_s=5.0):
        self.nodes = [split_url(u) for u in urls]
        self.conns = [None] * len(self.nodes)
        self.timeout_s = timeout_s

    def call(self, i, method, path, body=None, token=None):
        i %= len(self.nodes)
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = "Bearer " + token
        try:
            if self.conns[i] is None:
                self.conns[i] = http.client.HTTPConnection(*self.nodes[i], timeout=self.timeout_s)
            c = self.conns[i]
            c.request(method, path, body=data, headers=headers)
            r = c.getresponse()
            text = r.read()
            if r.getheader("Connection", "").lower() == "close":
                c.close()
                self.conns[i] = None
            return r.status, text
        except (OSError, http.client.HTTPException) as e:
            if self.conns[i] is not None:
                self.conns[i].close()
            self.conns[i] = None
            return 0, str(e).encode()


def expect(answer, status, what):
    if answer[0] != status:
        sys.exit(f"cluster_probe: {what}: HTTP {answer[0]} {answer[1][:300]!r}")
    return json.loads(answer[1]) if answer[1] else {}


def setup(a):
    urls = a.url.split(",")
    c = Client(urls, timeout_s=30)
    admin = expect(c.call(0, "POST", "/v1/auth/login",
                          {"email": a.admin_email, "password": a.admin_password}),
                   200, "admin login")["access_token"]
    events = []
    for n in range(a.events):
        i = n % len(urls)
        e = expect(c.call(i, "POST", "/v1/events",
                          {"title": f"probe {n}", "starts_at": "2030-01-01T20:00:00Z",
                           "max_tickets_per_customer": 10000}, admin), 201, "create event")
        base = f"/v1/events/{e['id']}"
        expect(c.call(i, "POST", base + "/sections",
                      {"name": "P", "kind": "reserved", "rows": 10, "seats_per_row": 30,
                       "price_cents": 100}, admin), 201, "add section")
        expect(c.call(i, "PATCH", base, {"status": "on_sale"}, admin), 200, "on sale")
        events.append(e["id"])
    email = f"probe-{int(time.time() * 1000)}@probe.test"
    expect(c.call(0, "POST", "/v1/auth/signup", {"email": email, "password": "probe-password-1"}),
           201, "sign up")
    token = expect(c.call(0, "POST", "/v1/auth/login",
                          {"email": email, "password": "probe-password-1"}),
                   200, "login")["access_token"]
    with open(a.out, "w") as f:
        json.dump({"events": events, "token": token}, f)


def problem_code(body):
    try:
        return str(json.loads(body).get("code", ""))
    except ValueError:
        return "no answer" if body else ""


def run(a):
    with open(a.setup) as f:
        s = json.load(f)
    urls = a.urls.split(",")
    stop = threading.Event()
    traces = []
    period = a.period_ms / 1000.0

    def probe(k, event):
        c = Client(urls)
        trace = []
        traces.append(trace)
        hold_path = f"/v1/events/{event}/holds"
        hold = None
        turn = k
        while not stop.is_set():
            t0 = time.time()
            if hold is None:
                status, body = c.call(turn, "POST", hold_path,
                                      {"section_id": 1, "quantity": 1}, s["token"])
                op = "hold"
                if status == 201:
                    hold = json.loads(body)["id"]
                    op = "hold:" + hold
            else:
                status, body = c.call(turn, "DELETE", "/v1/holds/" + hold, None, s["token"])
                op = "release"
                if 200 <= status < 300 or status in (404, 410):
                    hold = None  # gone: released by an earlier try whose answer was lost
            t1 = time.time()
            if not 200 <= status < 300:
                op += "!" + problem_code(body)
            trace.append((event, op, t0, t1, status))
            turn += 1
            rest = period - (t1 - t0)
            if rest > 0:
                stop.wait(rest)

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threads = [threading.Thread(target=probe, args=(k, e), daemon=True)
               for k, e in enumerate(s["events"])]
    for t in threads:
        t.start()
    while not stop.is_set():
        stop.wait(0.5)
    for t in threads:
        t.join(10)
    rows = sorted((r for t in traces for r in t), key=lambda r: r[3])
    with open(a.out, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def read_trace(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def pct(values, q):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


def summary(values, unit_ms=True):
    if not values:
        return {"n": 0}
    k = 1000.0 if unit_ms else 1.0
    return {"n": len(values), "p50": round(pct(values, 0.5) * k, 1),
            "p99": round(pct(values, 0.99) * k, 1), "max": round(max(values) * k, 1)}


def gaps(a):
    rows = read_trace(a.trace)
    wanted = set(int(e) for e in a.events.split(",")) if a.events else None
    last_ok = {}
    worst = {}
    latencies = []
    failures = {}
    for event, op, t0, t1, status in rows:
        if wanted is not None and event not in wanted:
            continue
        ok = 200 <= status < 300
        if t1 < a.t_from:
            if ok:
                last_ok[event] = t1
            continue
        if t1 > a.t_to:
            continue
        if op.startswith("hold"):
            latencies.append(t1 - t0)
        if not ok:
            why = f"{status} {op.partition('!')[2]}"
            failures[why] = failures.get(why, 0) + 1
            continue
        if event in last_ok:
            worst[event] = max(worst.get(event, 0.0), t1 - last_ok[event])
        last_ok[event] = t1
    # An event with no success after T0 was unavailable for the whole window.
    for event in last_ok:
        if event not in worst:
            worst[event] = a.t_to - last_ok[event]
    out = {"events": len(worst), "gap_ms": summary(list(worst.values())),
           "hold_latency_ms": summary(latencies), "not_2xx": failures,
           "worst_event": max(worst, key=worst.get) if worst else None}
    print(json.dumps(out))


def audit(a):
    rows = read_trace(a.trace)
    holds = [r[1][5:] for r in rows if r[1].startswith("hold:") and r[4] == 201]
    missing = 0
    for i in range(0, len(holds), 500):
        chunk = holds[i:i + 500]
        keys = ",".join("(%d,%d,%d)" % tuple(int(x) for x in h.split("-")) for h in chunk)
        q = ("select count(*) from (values %s) as v(e, s, h) where not exists "
             "(select 1 from holds where event_id = v.e and section_id = v.s and id = v.h)" % keys)
        out = subprocess.run(["psql", a.db, "-Atc", q], capture_output=True, text=True, check=True)
        missing += int(out.stdout.strip())
    # A release answered 404 hold_not_found for a hold granted 201 (after a
    # takeover): what does the database say that hold is?
    last_hold = {}
    not_found = []
    for r in rows:
        if r[1].startswith("hold:") and r[4] == 201:
            last_hold[r[0]] = r[1][5:]
        elif r[1] == "release!hold_not_found" and r[0] in last_hold:
            not_found.append(last_hold[r[0]])
    statuses = {}
    for h in sorted(set(not_found)):
        e, sec, n = (int(x) for x in h.split("-"))
        q = f"select status from holds where event_id = {e} and section_id = {sec} and id = {n}"
        out = subprocess.run(["psql", a.db, "-Atc", q], capture_output=True, text=True)
        key = out.stdout.strip() or "absent"
        statuses[key] = statuses.get(key, 0) + 1
    print(json.dumps({"acknowledged_holds": len(holds), "missing_in_database": missing,
                      "release_404_holds_in_database": statuses}))
    return 0 if missing == 0 else 1


def owners(a):
    """{event: [owner_node, epoch]} as GET /v1/cluster/events/{id} says."""
    with open(a.setup) as f:
        s = json.load(f)
    c = Client([a.url], timeout_s=10)
    admin = expect(c.call(0, "POST", "/v1/auth/login",
                          {"email": a.admin_email, "password": a.admin_password}),
                   200, "admin login")["access_token"]
    out = {}
    for e in s["events"]:
        status, body = c.call(0, "GET", f"/v1/cluster/events/{e}", None, admin)
        j = json.loads(body) if status == 200 else {}
        out[e] = [j.get("owner_node", ""), j.get("epoch", 0)]
    with open(a.out, "w") as f:
        json.dump(out, f)


MASK = (1 << 64) - 1


def mix64(x):
    """cluster/placement.cpp's mix64 (SplitMix64's finalizer)."""
    x &= MASK
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & MASK
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def hash_name(name):
    h = 0xCBF29CE484222325
    for c in name.encode():
        h = ((h ^ c) * 0x100000001B3) & MASK
    return mix64(h)


def place_event(event, node_ids):
    """cluster/placement.cpp's place_event: the highest weight, ties to the lower id."""
    best = None
    for n in node_ids:
        w = mix64(hash_name(n) ^ mix64(event + 0x9E3779B97F4A7C15))
        if best is None or w > best[0] or (w == best[0] and n < best[1]):
            best = (w, n)
    return best[1] if best else None


def placement_check(a):
    """Did exactly the events whose placement changed move, each to its new place?"""
    before = json.load(open(a.before))
    after = json.load(open(a.after))
    old, new = a.nodes_before.split(","), a.nodes_after.split(",")
    should = {e for e in before if place_event(int(e), old) != place_event(int(e), new)}
    moved = {e for e in before if before[e] != after.get(e)}
    misplaced = [e for e in after if after[e][0] != place_event(int(e), new)]
    print(json.dumps({"should_move": len(should), "moved": len(moved),
                      "moved_not_placed_to_move": sorted(moved - should, key=int),
                      "placed_to_move_but_stayed": sorted(should - moved, key=int),
                      "owner_not_at_placement_after": sorted(misplaced, key=int)}))


def read_metrics(paths):
    """Sums each sample (name with labels) over the nodes' /metrics texts."""
    total = {}
    for p in paths:
        try:
            text = open(p).read()
        except OSError:
            continue
        for line in text.splitlines():
            if not line or line[0] == "#":
                continue
            name, _, value = line.rpartition(" ")
            try:
                total[name] = total.get(name, 0.0) + float(value)
            except ValueError:
                pass
    return total


def moves(a):
    """What the old owners' move histogram and the counters say, after minus
    before, summed over the nodes: a node that is gone afterwards adds nothing,
    one that restarted meanwhile adds what its new process counted."""
    pairs = list(zip(a.before.split(","), a.after.split(",")))
    befores = [read_metrics([b]) for b, _ in pairs]
    afters = [read_metrics([x]) for _, x in pairs]
    after = {}
    for m in afters:
        for k, v in m.items():
            after[k] = after.get(k, 0.0) + v

    def delta(name):
        total = 0.0
        for b, x in zip(befores, afters):
            if name in x:
                d = x[name] - b.get(name, 0.0)
                total += d if d >= 0 else x[name]
        return total

    base = "boxoffice_cluster_move_seconds"
    buckets = []
    for name in after:
        if name.startswith(base + "_bucket{"):
            le = name.split('le="', 1)[1].split('"', 1)[0]
            buckets.append((float("inf") if le == "+Inf" else float(le), delta(name)))
    buckets.sort()
    count = delta(base + "_count")

    def bound(q):  # upper bound of the bucket holding the q-quantile
        for le, n in buckets:
            if count > 0 and n >= q * count:
                return le * 1000
        return None

    print(json.dumps({
        "moves_done": delta('boxoffice_cluster_moves_total{outcome="done"}'),
        "moves_called_off": delta('boxoffice_cluster_moves_total{outcome="called_off"}'),
        "move_ms_mean": round(delta(base + "_sum") / count * 1000, 1) if count else None,
        "move_ms_p50_at_most": bound(0.5), "move_ms_p99_at_most": bound(0.99),
        "fenced_commits": delta("boxoffice_fenced_commits_total"),
        "forwarded": delta("boxoffice_forwarded_requests_total"),
        "journal_commits": delta("boxoffice_journal_commit_duration_seconds_count"),
        "journal_rows": delta("boxoffice_journal_batch_rows_sum"),
    }))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("setup")
    s.add_argument("--url", required=True)
    s.add_argument("--admin-email", required=True)
    s.add_argument("--admin-password", required=True)
    s.add_argument("--events", type=int, default=36)
    s.add_argument("--out", required=True)
    r = sub.add_parser("run")
    r.add_argument("--urls", required=True)
    r.add_argument("--setup", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--period-ms", type=float, default=40)
    g = sub.add_parser("gaps")
    g.add_argument("--trace", required=True)
    g.add_argument("--from", dest="t_from", type=float, required=True)
    g.add_argument("--to", dest="t_to", type=float, required=True)
    g.add_argument("--events", default="")
    d = sub.add_parser("audit")
    d.add_argument("--trace", required=True)
    d.add_argument("--db", required=True)
    o = sub.add_parser("owners")
    o.add_argument("--url", required=True)
    o.add_argument("--admin-email", required=True)
    o.add_argument("--admin-password", required=True)
    o.add_argument("--setup", required=True)
    o.add_argument("--out", required=True)
    m = sub.add_parser("moves")
    m.add_argument("--before", required=True, help="comma-separated /metrics dumps")
    m.add_argument("--after", required=True)
    c = sub.add_parser("placement")
    c.add_argument("--before", required=True)
    c.add_argument("--after", required=True)
    c.add_argument("--nodes-before", required=True)
    c.add_argument("--nodes-after", required=True)
    a = p.parse_args()
    return {"setup": setup, "run": run, "gaps": gaps, "audit": audit, "owners": owners,
            "moves": moves, "placement": placement_check}[a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())
