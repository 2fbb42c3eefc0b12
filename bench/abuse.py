#!/usr/bin/env python3
"""What one signed-up user with a loop can do to a running server, in figures.

    target/release/hindsight &                # any server; this signs up two organizations
    python3 bench/abuse.py [--url http://127.0.0.1:8000] [--incidents 2000]

Standard library only. It measures:
  1. /healthz while the largest blameless checks the server accepts run (two requests of 30
     aliases x 20,000 characters at once), and how fast a 1 MiB check is refused;
  2. full-text search over incidents with the longest summaries (written through the API), for
     terms from one word to 200 characters (its time should not grow with the term), and another
     organization's `me` while the first user floods the costliest of those searches.
Ten thousand incidents of 20,000 characters make 200 MB; the default 2,000 make 40 MB.
"""

import argparse
import json
import statistics
import threading
import time
import urllib.request
import uuid

LONG_TEXT = 20_000


def post(url, body, token=None, timeout=120):
    request = urllib.request.Request(url + "/graphql", data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def sign_up(url, name):
    tag = uuid.uuid4().hex[:8]
    query = "mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }"
    variables = {"i": {"organizationName": f"{name} {tag}", "email": f"probe-{tag}@{name.lower()}.test",
                       "password": "correct horse battery", "displayName": "Probe"}}
    answer = post(url, {"query": query, "variables": variables})
    return answer["data"]["signUp"]["accessToken"]


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, (time.perf_counter() - started) * 1000


def health_during(url, work, samples=20):
    """Runs `work` in threads and samples /healthz latency (ms) until they end."""
    threads = [threading.Thread(target=w) for w in work]
    for t in threads:
        t.start()
    time.sleep(0.02)
    latencies = []
    while any(t.is_alive() for t in threads) and len(latencies) < samples:
        _, ms = timed(lambda: urllib.request.urlopen(url + "/healthz", timeout=30).read())
        latencies.append(ms)
        time.sleep(0.01)
    for t in threads:
        t.join()
    return latencies


def summary(latencies):
    if not latencies:
        return "no sample (the work ended first)"
    return f"n={len(latencies)} median {statistics.median(latencies):.1f} ms, max {max(latencies):.1f} ms"


def blameless(url, token):
    text = "it was human error, Bob's fault, careless. " * (LONG_TEXT // 44)
    aliases = " ".join(f"c{n}: blamelessCheck(text: $t) {{ start }}" for n in range(30))
    largest = {"query": f"query($t: String!) {{ {aliases} }}", "variables": {"t": text}}
    outcomes = []

    def run():
        answer, ms = timed(lambda: post(url, largest, token))
        outcomes.append((ms, "errors" in answer))

    latencies = health_during(url, [run, run])
    print(f"largest accepted checks (2 x 30 x {len(text):,} chars): "
          f"{', '.join(f'{ms:.0f} ms' for ms, _ in outcomes)}; errors: {any(e for _, e in outcomes)}")
    print(f"  /healthz meanwhile: {summary(latencies)}")
    megabyte = {"query": "query($t: String!) { blamelessCheck(text: $t) { start } }", "variables": {"t": "blame " * 170_000}}
    answer, ms = timed(lambda: post(url, megabyte, token))
    code = answer["errors"][0]["extensions"]["code"] if "errors" in answer else "none"
    print(f"a 1 MiB check: {code} in {ms:.1f} ms")


def search(url, token, neighbour, incidents):
    team = post(url, {"query": 'mutation { createTeam(input: { name: "Probe" }) { id } }'}, token)["data"]["createTeam"]["id"]
    declare = "mutation($i: DeclareIncidentInput!) { declareIncident(input: $i) { id } }"
    started = time.perf_counter()
    # One word over and over: the longest position lists a text gives a full-text index.
    summary_text = "cd " + "ab " * ((LONG_TEXT - 3) // 3)
    for _ in range(incidents):
        post(url, {"query": declare, "variables": {"i": {"teamId": team, "title": "a", "severity": "SEV4",
                   "startedAt": "2026-01-01T00:00:00Z", "summary": summary_text}}}, token)
    print(f"declared {incidents:,} incidents of {len(summary_text):,} characters in {time.perf_counter() - started:.1f} s")
    query = "query($s: String) { incidents(first: 1, filter: { search: $s }) { totalCount } }"
    terms = [
        ("one word found everywhere", "ab"),
        ("one word found nowhere", "zz"),
        ("ten words", " ".join(["ab", "cd"] * 5)),
        ("ten two-word phrases", " ".join(['"ab ab"'] * 10)),
        ("one 200-character word", "a" * 199 + "b"),
        ("ten 19-character words (the old worst substring search)", " ".join(["a" * 18 + "b"] * 10)),
    ]
    worst, slowest = terms[0][1], 0.0
    for name, term in terms:
        times, code = [], "ok"
        for _ in range(5):
            answer, ms = timed(lambda: post(url, {"query": query, "variables": {"s": term}}, token))
            times.append(ms)
            code = answer["errors"][0]["extensions"]["code"] if "errors" in answer else "ok"
        median = statistics.median(times)
        print(f"search, {name} ({len(term)} chars): median {median:.1f} ms of 5, {code}")
        if median > slowest:
            worst, slowest = term, median
    aliases = " ".join(f"s{n}: incidents(first: 1, filter: {{ search: $s }}) {{ totalCount }}" for n in range(10))
    flood = {"query": f"query($s: String) {{ {aliases} }}", "variables": {"s": worst}}
    codes = []

    def attack():
        answer = post(url, flood, token, timeout=300)
        codes.extend(e["extensions"]["code"] for e in answer.get("errors", []))

    threads = [threading.Thread(target=attack) for _ in range(10)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    latencies, failures = [], 0
    for _ in range(10):
        answer, ms = timed(lambda: post(url, {"query": "{ me { id } }"}, neighbour))
        latencies.append(ms)
        failures += "errors" in answer
        time.sleep(0.2)
    print(f"another organization's me during a flood of 100 of the slowest searches: {summary(latencies)}, {failures} failed")
    for t in threads:
        t.join()
    print(f"  the flood's own errors: {dict((c, codes.count(c)) for c in set(codes)) or 'none'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--incidents", type=int, default=2000)
    args = parser.parse_args()
    token, neighbour = sign_up(args.url, "Mallory"), sign_up(args.url, "Neighbour")
    blameless(args.url, token)
    search(args.url, token, neighbour, args.incidents)


if __name__ == "__main__":
    main()
