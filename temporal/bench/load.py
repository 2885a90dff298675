#!/usr/bin/env python3
"""Writes the input of the Temporal load test (docs/performance.md, "Temporal: 10,000 contacts"):
N contacts through the examples. Contact k follows the event script of one example
(examples/*.events.jsonl, in turn), renamed: contact `ana` of copy k is `ana-k`, with ana's record
from examples/contacts.jsonl. Events keep their times and are written in time order (stable), as
`journey simulate --events` requires.

    python3 temporal/bench/load.py 10000 /tmp/load   # writes /tmp/load/contacts.jsonl, events.jsonl

With --aligned, each contact's events are shifted so that its first event is at the input's first
instant (the test clock's epoch): every contact's first event is due the moment it arrives, for the
steady-rate latency run (`send --rate`).
"""
import datetime
import json
import pathlib
import sys


def main():
    args = [a for a in sys.argv[1:] if a != "--aligned"]
    aligned = "--aligned" in sys.argv[1:]
    wanted, out = int(args[0]), pathlib.Path(args[1])
    examples = pathlib.Path(__file__).resolve().parents[2] / "examples"
    records = {}
    for line in (examples / "contacts.jsonl").read_text().splitlines():
        if line.strip():
            records[json.loads(line)["contact"]] = json.loads(line)
    scripts = []
    for path in sorted(examples.glob("*.events.jsonl")):
        events = [json.loads(l) for l in path.read_text().splitlines() if l.strip()]
        scripts.append((sorted({e["contact"] for e in events}), events))
    contacts, events, copy = [], [], 0
    while len(contacts) < wanted:
        names, script = scripts[copy % len(scripts)]
        renamed = {name: f"{name}-{copy}" for name in names}
        for name in names:
            if len(contacts) < wanted:
                record = dict(records.get(name, {"contact": name, "profile": {}}))
                record["contact"] = renamed[name]
                contacts.append(record)
        kept = {c["contact"] for c in contacts}
        for event in script:
            if renamed[event["contact"]] in kept:
                events.append(dict(event, contact=renamed[event["contact"]]))
        copy += 1
    if aligned:
        events = align(events)
    events.sort(key=lambda e: e["at"])
    out.mkdir(parents=True, exist_ok=True)
    sep = (",", ":")
    (out / "contacts.jsonl").write_text("".join(json.dumps(c, separators=sep) + "\n" for c in contacts))
    (out / "events.jsonl").write_text("".join(json.dumps(e, separators=sep) + "\n" for e in events))
    print(f"{len(contacts)} contacts, {len(events)} events in {out}")


def align(events):
    """Each contact's events moved by the same amount, so that its first is at the earliest event."""
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    parse = lambda at: datetime.datetime.strptime(at, fmt)
    first = {}
    for event in events:
        at = parse(event["at"])
        first[event["contact"]] = min(first.get(event["contact"], at), at)
    epoch = min(first.values())
    return [dict(e, at=(parse(e["at"]) - (first[e["contact"]] - epoch)).strftime(fmt)) for e in events]


main()
