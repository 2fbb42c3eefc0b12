// `npm test`: runs the receiver in this process and signs requests with node:crypto, not with the
// library the receiver verifies with.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { once } from "node:events";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { MAX_BODY_BYTES, createReceiver, formatEvent } from "./receiver.mjs";

const key = randomBytes(32);
const secret = `whsec_${key.toString("base64")}`;
const lines = [];
const rejections = [];
let server;
let url;

before(async () => {
  const out = (line) => lines.push(line);
  const err = (line) => rejections.push(line);
  server = createReceiver({ secret, out, err });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  url = `http://127.0.0.1:${server.address().port}/hindsight`;
});

after(() => server.close());

const sign = (k, id, timestamp, body) =>
  `v1,${createHmac("sha256", k).update(`${id}.${timestamp}.${body}`).digest("base64")}`;

let sent = 0;
function message(kind, subjectId, payload) {
  const createdAt = "2026-11-30T03:40:00Z";
  sent += 1;
  const data = { id: `RXZlbnQ6${sent}`, kind, subjectId, actorId: null, payload, createdAt };
  return { id: `msg_test${sent}`, body: JSON.stringify({ type: kind, timestamp: createdAt, data }) };
}

async function post({ id, body, timestamp = Math.floor(Date.now() / 1000), signature }) {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signature ?? sign(key, id, timestamp, body),
    },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

test("a correctly signed event is printed and answered 204", async () => {
  const printed = lines.length;
  const msg = message("REVIEW_PUBLISHED", "UmV2aWV3OjE=", { from: "IN_REVIEW", to: "PUBLISHED" });
  assert.equal(await post(msg), 204);
  assert.deepEqual(lines.slice(printed), [
    "2026-11-30T03:40:00Z REVIEW_PUBLISHED: review UmV2aWV3OjE= was published",
  ]);
});

test("a tampered body is answered 400 and not printed", async () => {
  const printed = lines.length;
  const msg = message("REVIEW_PUBLISHED", "UmV2aWV3OjE=", {});
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = sign(key, msg.id, timestamp, msg.body);
  const body = msg.body.replace("UmV2aWV3OjE=", "UmV2aWV3OjI=");
  assert.equal(await post({ ...msg, timestamp, signature, body }), 400);
  assert.equal(lines.length, printed);
  assert.match(rejections.at(-1), new RegExp(`^rejected ${msg.id}: `));
});

test("a timestamp more than five minutes old is answered 400", async () => {
  const msg = message("REVIEW_PUBLISHED", "UmV2aWV3OjE=", {});
  assert.equal(await post({ ...msg, timestamp: Math.floor(Date.now() / 1000) - 6 * 60 }), 400);
});

test("a retried message is acknowledged but printed once", async () => {
  const printed = lines.length;
  const msg = message("ACTION_COMPLETED", "QWN0aW9uOjE=", { status: "DONE" });
  assert.equal(await post(msg), 204);
  assert.equal(await post(msg), 204);
  assert.deepEqual(lines.slice(printed), [
    "2026-11-30T03:40:00Z ACTION_COMPLETED: action QWN0aW9uOjE= was completed",
  ]);
});

test("during a secret rotation, a match on the second signature is enough", async () => {
  const printed = lines.length;
  const payload = { dueDate: "2026-11-27", daysOverdue: 3, ownerId: "VXNlcjo3" };
  const msg = message("ACTION_OVERDUE", "QWN0aW9uOjI=", payload);
  const timestamp = Math.floor(Date.now() / 1000);
  const oldKey = randomBytes(32);
  const signature = `${sign(oldKey, msg.id, timestamp, msg.body)} ${sign(key, msg.id, timestamp, msg.body)}`;
  assert.equal(await post({ ...msg, timestamp, signature }), 204);
  assert.deepEqual(lines.slice(printed), [
    "2026-11-30T03:40:00Z ACTION_OVERDUE: action QWN0aW9uOjI= is 3 days overdue (due 2026-11-27), " +
      "owner VXNlcjo3",
  ]);
});

test("a body over 1 MiB is answered 413", async () => {
  const msg = message("REVIEW_PUBLISHED", "UmV2aWV3OjE=", { padding: "x".repeat(MAX_BODY_BYTES) });
  assert.equal(await post(msg), 413);
});

test("other methods are answered 405", async () => {
  assert.equal((await fetch(url)).status, 405);
});

test("unknown kinds and missing fields fall back without throwing", () => {
  const at = "2026-11-30T03:40:00Z";
  assert.equal(
    formatEvent({ type: "TEAM_CREATED", timestamp: at, data: { subjectId: "VGVhbTox", payload: {} } }),
    `${at} TEAM_CREATED: TEAM_CREATED on VGVhbTox`,
  );
  assert.equal(
    formatEvent({ type: "ACTION_OVERDUE", timestamp: at, data: { subjectId: "QWN0aW9uOjE=" } }),
    `${at} ACTION_OVERDUE: action QWN0aW9uOjE= is ? days overdue (due ?)`,
  );
  assert.equal(
    formatEvent({ type: "PING", timestamp: at, data: { webhookId: "V2ViaG9vazox" } }),
    `${at} PING: ping for webhook V2ViaG9vazox`,
  );
  assert.equal(formatEvent(null), "? ?: ? on ?");
  assert.equal(
    formatEvent({ type: "INCIDENT_DECLARED", data: { payload: "oops" } }),
    "? INCIDENT_DECLARED: incident ? was declared (severity ?)",
  );
});

test("the receiver refuses to start without a secret", () => {
  const env = { ...process.env };
  delete env.HINDSIGHT_WEBHOOK_SECRET;
  const receiver = fileURLToPath(new URL("receiver.mjs", import.meta.url));
  const run = spawnSync(process.execPath, [receiver], { env, encoding: "utf8" });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /HINDSIGHT_WEBHOOK_SECRET is not set/);
});
