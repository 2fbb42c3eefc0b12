// A Hindsight webhook receiver for a chat bot: verifies each delivery with the Standard Webhooks
// library and prints one line per event on standard output.
//
//   HINDSIGHT_WEBHOOK_SECRET  the webhook's secret, `whsec_…` (required)
//   PORT                      port to listen on (default 9000)
//   HOST                      address to listen on (default 127.0.0.1)
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import { Webhook } from "standardwebhooks";

export const MAX_BODY_BYTES = 1024 * 1024;
const REMEMBERED_IDS = 1000;

const isObject = (value) => typeof value === "object" && value !== null && !Array.isArray(value);

// A value from the message as text on one line; "?" when it is missing.
function text(value) {
  if (value === undefined || value === null || value === "") return "?";
  const s = typeof value === "object" ? JSON.stringify(value) : String(value);
  return s.replace(/[\u0000-\u001f\u007f]+/g, " ");
}

// `${label} ${value}` when the value is there, nothing otherwise.
function extra(label, value) {
  return value === undefined || value === null || value === "" ? "" : `${label} ${text(value)}`;
}

const days = (n) => (n === 1 ? "1 day" : `${text(n)} days`);

// The human part of the line, by event kind. `id` is the subject's global ID, `p` the payload.
const FORMATS = {
  PING: (_id, _p, data) => `ping for webhook ${text(data.webhookId)}`,
  INCIDENT_DECLARED: (id, p) =>
    `incident ${id} was declared (severity ${text(p.severity)}${extra(", team", p.teamId)})`,
  INCIDENT_STATUS_CHANGED: (id, p) => `incident ${id} went from ${text(p.from)} to ${text(p.to)}`,
  REVIEW_CREATED: (id, p) =>
    `review ${id} was opened${extra(" for incident", p.incidentId)}${extra(", due", p.dueAt)}`,
  REVIEW_SUBMITTED: (id) => `review ${id} was submitted for review`,
  REVIEW_PUBLISHED: (id) => `review ${id} was published`,
  REVIEW_DUE_SOON: (id, p) => `review ${id} is due soon${extra(", at", p.dueAt ?? p.dueDate)}`,
  REVIEW_LATE: (id, p) => `review ${id} is late${extra(", was due", p.dueAt ?? p.dueDate)}`,
  PUBLISH_LATE: (id) => `review ${id} is late to be published`,
  FOLLOW_UP_DUE: (id, p) => `${p.kind ? `${text(p.kind)} ` : ""}follow-up of review ${id} is due`,
  ACTION_CREATED: (id, p) =>
    `action ${id} was created${extra(" on review", p.reviewId)}` +
    `${extra(", owner", p.ownerId)}${extra(", due", p.dueDate)}`,
  ACTION_DUE_SOON: (id, p) => `action ${id} is due on ${text(p.dueDate)}${extra(", owner", p.ownerId)}`,
  ACTION_OVERDUE: (id, p) =>
    `action ${id} is ${days(p.daysOverdue)} overdue (due ${text(p.dueDate)})${extra(", owner", p.ownerId)}`,
  ACTION_COMPLETED: (id) => `action ${id} was completed`,
  ACTION_ISSUE_LINKED: (id, p) => `action ${id} was linked to an issue${extra(":", p.url)}`,
  WEBHOOK_DEACTIVATED: (id, p) => `webhook ${id} was turned off${extra(": failing since", p.failingSince)}`,
};

// One line for a verified message: `<timestamp> <KIND>: <what happened>`. Never throws, whatever
// the message holds; kinds without a format of their own read `<KIND> on <subjectId>`.
export function formatEvent(message) {
  const msg = isObject(message) ? message : {};
  const data = isObject(msg.data) ? msg.data : {};
  const payload = isObject(data.payload) ? data.payload : {};
  const kind = text(msg.type ?? data.kind);
  const subject = text(data.subjectId);
  const what = Object.hasOwn(FORMATS, kind) ? FORMATS[kind](subject, payload, data) : `${kind} on ${subject}`;
  return `${text(msg.timestamp ?? data.createdAt)} ${kind}: ${what}`;
}

// The most recent webhook-ids seen, oldest forgotten first.
function recentIds(limit) {
  const ids = new Set();
  return {
    has: (id) => ids.has(id),
    add(id) {
      ids.add(id);
      if (ids.size > limit) ids.delete(ids.values().next().value);
    },
  };
}

// An HTTP server that answers POST on any path. `out` gets each event's line, `err` each rejection.
export function createReceiver({ secret, out = console.log, err = console.error } = {}) {
  const webhook = new Webhook(secret);
  const seen = recentIds(REMEMBERED_IDS);

  return createServer((req, res) => {
    const reply = (status, headers = {}) => {
      res.writeHead(status, headers);
      res.end();
    };
    if (req.method !== "POST") return reply(405, { allow: "POST" });
    if (Number(req.headers["content-length"]) > MAX_BODY_BYTES) {
      return reply(413, { connection: "close" });
    }

    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      if (size > MAX_BODY_BYTES) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) return reply(413, { connection: "close" });
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) return;
      const id = req.headers["webhook-id"];
      let message;
      try {
        message = webhook.verify(Buffer.concat(chunks), req.headers);
      } catch (e) {
        err(`rejected ${id ?? "a message without webhook-id"}: ${e.message}`);
        return reply(400);
      }
      if (!seen.has(id)) {
        seen.add(id);
        out(formatEvent(message));
      }
      reply(204);
    });
  });
}

function main() {
  const secret = process.env.HINDSIGHT_WEBHOOK_SECRET;
  if (!secret) {
    console.error("HINDSIGHT_WEBHOOK_SECRET is not set: set it to the webhook's secret (whsec_…).");
    process.exit(1);
  }
  const port = Number(process.env.PORT ?? 9000);
  const host = process.env.HOST ?? "127.0.0.1";
  let server;
  try {
    server = createReceiver({ secret });
  } catch (e) {
    console.error(`HINDSIGHT_WEBHOOK_SECRET is not a usable secret: ${e.message}`);
    process.exit(1);
  }
  server.listen(port, host, () => {
    const { address, port } = server.address();
    console.error(`listening on http://${address.includes(":") ? `[${address}]` : address}:${port}`);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
