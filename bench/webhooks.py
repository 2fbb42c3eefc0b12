#!/usr/bin/env python3
"""Webhook delivery in figures: throughput and latency (event committed -> receiver).

    target/release/hindsight --webhook-allow-private &     # any server that may deliver locally
    python3 bench/webhooks.py [--url http://127.0.0.1:8000] [--events 1000] [--webhooks 10]

Standard library only. It signs up an organization, starts a receiver on a free local port,
makes `--webhooks` webhooks pointing at it (each for INCIDENT_DECLARED), then declares
`--events` incidents from 8 threads (each declaration is one logged event, so `events x
webhooks` messages). It prints how long the declarations took, when the last message arrived,
the delivery throughput, and the latency from each event's `createdAt` (its commit, by the
server's clock, which is the system's) to its arrival, per message. Every message is checked:
signed (HMAC-SHA256 over id.timestamp.body), each `webhook-id` once per webhook.
"""

import argparse
import base64
import hashlib
import hmac
import json
import statistics
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def post(url, body, token=None, timeout=60):
    request = urllib.request.Request(url + "/graphql", data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.load(response)
    if answer.get("errors"):
        raise SystemExit(f"the server refused: {answer['errors']}")
    return answer["data"]


class Inbox:
    """What the receiver got: (path, webhook-id, arrival, createdAt, signature ok)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []
        self.secrets = {}

    def handler(inbox):
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                arrived = time.time()
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                msg_id, stamp = self.headers["webhook-id"], self.headers["webhook-timestamp"]
                secret = inbox.secrets.get(self.path)
                signed = False
                if secret:
                    key = base64.b64decode(secret.removeprefix("whsec_"))
                    mac = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
                    expected = "v1," + base64.b64encode(mac).decode()
                    signed = expected in self.headers["webhook-signature"].split(" ")
                created = json.loads(body)["data"].get("createdAt")
                with inbox.lock:
                    inbox.messages.append((self.path, msg_id, arrived, created, signed))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--webhooks", type=int, default=10)
    args = parser.parse_args()

    inbox = Inbox()
    # The standard library listens with a backlog of 5: the server's 16 connections at once
    # would wait for SYN retransmits (a second each) and measure the receiver, not the server.
    ThreadingHTTPServer.request_queue_size = 256
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), inbox.handler())
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    port = receiver.server_address[1]

    tag = uuid.uuid4().hex[:8]
    signup = post(args.url, {
        "query": "mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }",
        "variables": {"i": {"organizationName": f"Webhook bench {tag}", "email": f"bench-{tag}@hooks.test",
                            "password": "correct horse battery", "displayName": "Bench"}},
    })
    token = signup["signUp"]["accessToken"]
    team = post(args.url, {"query": "mutation { createTeam(input: { name: \"Bench\" }) { id } }"}, token)
    team_id = team["createTeam"]["id"]
    for n in range(args.webhooks):
        made = post(args.url, {
            "query": "mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { secret } }",
            "variables": {"i": {"url": f"http://127.0.0.1:{port}/hook/{n}", "eventKinds": ["INCIDENT_DECLARED"]}},
        }, token)
        inbox.secrets[f"/hook/{n}"] = made["createWebhook"]["secret"]

    declare = "mutation($i: DeclareIncidentInput!) { declareIncident(input: $i) { id } }"

    def one(n):
        post(args.url, {"query": declare, "variables": {"i": {
            "teamId": team_id, "title": f"Bench incident {n}", "severity": "SEV4",
            "startedAt": datetime.now().astimezone().isoformat()}}}, token)

    expected = args.events * args.webhooks
    started = time.time()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(args.events)))
    declared = time.time() - started
    deadline = time.time() + 300
    while time.time() < deadline:
        with inbox.lock:
            if len(inbox.messages) >= expected:
                break
        time.sleep(0.05)
    with inbox.lock:
        messages = list(inbox.messages)
    last = max(m[2] for m in messages) if messages else started
    latencies = sorted((m[2] - datetime.fromisoformat(m[3]).timestamp()) * 1000 for m in messages)
    per_hook = {}
    for path, msg_id, *_ in messages:
        per_hook.setdefault(path, []).append(msg_id)
    duplicates = sum(len(ids) - len(set(ids)) for ids in per_hook.values())

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    print(f"{args.events} events x {args.webhooks} webhooks = {expected} messages expected")
    print(f"declared in {declared:.1f} s ({args.events / declared:.0f} events/s, 8 clients)")
    print(f"received {len(messages)}, {sum(1 for m in messages if m[4])} with a valid signature, "
          f"{duplicates} duplicates")
    span = last - started
    print(f"last message {span:.1f} s after the first declaration: {len(messages) / span:.0f} deliveries/s")
    if latencies:
        print(f"latency, event committed -> received: median {statistics.median(latencies):.0f} ms, "
              f"p90 {pct(90):.0f} ms, p99 {pct(99):.0f} ms, max {latencies[-1]:.0f} ms")
    receiver.shutdown()


if __name__ == "__main__":
    main()
