#!/usr/bin/env python3
"""The waiting room's event-stream benchmark (issue 15), run by
bench/queue_bench.sh against one server:

1. other routes' baseline: wrk on GET /v1/queue/<entry> (a poll, through
   the event actor) with no stream open;
2. opens one GET /v1/queue/<entry>/stream per entry of STREAMS (raw
   sockets, asyncio), each waiting in line; the server's RSS before and
   after (from /proc/PID) gives the memory per stream;
3. broadcasts while wrk runs again: each round lets one more shopper in
   (PATCH active_max + 1), which moves every streamed waiter up by one;
   a stream has the broadcast when it receives a position event with the
   lower position; the delay is from the PATCH being sent;
4. keeps the streams open for HOLD_S, counting the ones that die.

Prints one "key: value" line per figure.
Usage: sse_fanout.py PORT SERVER_PID EVENT ADMIN_TOKEN STREAMS_FILE HEADS POLL_FILE HOLD_S
  STREAMS_FILE: entry ids to stream, in line order; HEADS: shoppers ahead of
  them that the broadcasts let in (one each); POLL_FILE: ids wrk polls.
"""
import asyncio, json, os, re, subprocess, sys, time

port, server_pid, event, admin = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
streams_file, heads, poll_file, hold_s = sys.argv[5], int(sys.argv[6]), sys.argv[7], float(sys.argv[8])
ids = [l.strip() for l in open(streams_file) if l.strip()]
here = os.path.dirname(os.path.abspath(__file__))


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def say(key, value):
    print(f"{key}: {value}", flush=True)


def wrk(seconds):
    out = subprocess.run(
        ["wrk", "-t1", "-c16", f"-d{seconds}s", "--latency", "-s", os.path.join(here, "poll.lua"),
         f"http://127.0.0.1:{port}"],
        env=dict(os.environ, ENTRIES=poll_file), capture_output=True, text=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"\s50%\s+(\S+)", out)
    p99 = re.search(r"\s99%\s+(\S+)", out)
    return (rps.group(1) if rps else "?", p50.group(1) if p50 else "?",
            p99.group(1) if p99 else "?")


POS = re.compile(rb'event: position\nid: position-(\d+)-')


class stream(asyncio.Protocol):
    def __init__(self, index):
        self.index, self.buf, self.position, self.open, self.dead = index, b"", None, False, False
        self.first = asyncio.get_running_loop().create_future()
        self.target, self.reached = None, None

    def connection_made(self, transport):
        self.transport = transport
        transport.write(f"GET /v1/queue/{ids[self.index]}/stream HTTP/1.1\r\nHost: b\r\n"
                        "Accept: text/event-stream\r\n\r\n".encode())

    def data_received(self, data):
        now = time.monotonic()
        self.buf += data
        # Events end with a blank line; chunk framing lines carry no "event:".
        while b"\n\n" in self.buf:
            ev, self.buf = self.buf.split(b"\n\n", 1)
            m = POS.search(ev)
            if not m:
                continue
            self.position = int(m.group(1))
            if not self.first.done():
                self.first.set_result(now)
            if self.target is not None and self.reached is None and self.position <= self.target:
                self.reached = now

    def connection_lost(self, exc):
        self.dead = True
        if not self.first.done():
            self.first.set_result(None)


async def patch(settings):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = json.dumps(settings).encode()
    writer.write(f"PATCH /v1/events/{event}/queue HTTP/1.1\r\nHost: b\r\n"
                 f"Authorization: Bearer {admin}\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
    await writer.drain()
    head = await reader.readline()
    await reader.read()
    writer.close()
    return head


async def main():
    loop = asyncio.get_running_loop()
    say("uptime", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    rps, p50, p99 = await loop.run_in_executor(None, wrk, 10)
    say("baseline polls", f"{rps} /s, p50 {p50}, p99 {p99} (wrk -c16, no stream open)")
    before = rss_kib(server_pid)
    t0 = time.monotonic()
    conns = []
    for i in range(len(ids)):
        _, proto = await loop.create_connection(lambda i=i: stream(i), "127.0.0.1", port)
        conns.append(proto)
        if i % 200 == 199:
            await asyncio.sleep(0.05)  # let the server answer as they come
    firsts = await asyncio.gather(*(c.first for c in conns))
    opened = sum(1 for f in firsts if f is not None)
    all_open = time.monotonic()
    say("streams opened", f"{opened} of {len(ids)} in {all_open - t0:.1f} s")
    await asyncio.sleep(3)
    after = rss_kib(server_pid)
    say("server RSS", f"{before / 1024:.1f} MiB before the streams, {after / 1024:.1f} MiB with them")
    say("memory per stream", f"{(after - before) * 1024 / max(opened, 1):.0f} bytes")
    say("uptime", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())

    # Broadcasts while wrk polls.
    wrk_task = loop.run_in_executor(None, wrk, 10)
    delays = []
    rounds = 0
    shoppers = 0
    start = time.monotonic()
    while rounds < heads and time.monotonic() - start < 9:
        live = [c for c in conns if not c.dead and c.position is not None]
        for c in live:
            c.target, c.reached = c.position - 1, None
        shoppers += 1
        sent = time.monotonic()
        await patch({"active_max": shoppers, "paused": False})
        await asyncio.sleep(2.0)
        rounds += 1
        for c in live:
            delays.append(c.reached - sent if c.reached is not None else float("inf"))
    rps, p50, p99 = await wrk_task
    say("polls during broadcasts", f"{rps} /s, p50 {p50}, p99 {p99} (wrk -c16, streams open)")
    delays.sort()
    n = len(delays)
    if n:
        within1 = sum(1 for d in delays if d <= 1.0) / n * 100
        within2 = sum(1 for d in delays if d <= 2.0) / n * 100
        p = lambda q: delays[min(n - 1, int(q * n))]
        say("broadcasts", f"{rounds} rounds x {n // max(rounds, 1)} streams")
        say("broadcast reached", f"{within1:.2f} % within 1 s, {within2:.2f} % within 2 s")
        say("broadcast delay", f"p50 {p(0.5) * 1000:.0f} ms, p99 {p(0.99) * 1000:.0f} ms")
    # Held open.
    held_from = time.monotonic()
    while time.monotonic() - held_from < hold_s:
        await asyncio.sleep(5)
    dead = sum(1 for c in conns if c.dead)
    say("held", f"{time.monotonic() - all_open:.0f} s open in all, {dead} of {opened} streams closed")
    say("server RSS at the end", f"{rss_kib(server_pid) / 1024:.1f} MiB")
    for c in conns:
        c.transport.close()


asyncio.run(main())
