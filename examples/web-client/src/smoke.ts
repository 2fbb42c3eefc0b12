// Drives a running server end to end, one line per step; exits non-zero on the first failure.
//
//   HINDSIGHT_URL=http://127.0.0.1:8000/graphql npm run smoke
//
// The server must hand out short access tokens (`--access-token-ttl 5s`): the live step waits
// for the socket to be closed when its token expires, and checks that the feed reconnects
// with a refreshed token and resumes with nothing missed or repeated.
import { Api, describeError } from "./api";
import type { HistoryQuery } from "./gql/graphql";
import { watchEvents, socketUrl, type LiveEvent, type LiveStatus } from "./live";
import { AddTeamMember, CreateTeam, DeclareIncident, History, TeamDashboard } from "./operations";

const url = process.env["HINDSIGHT_URL"] ?? "http://127.0.0.1:8000/graphql";
const DEADLINE_MS = 90_000;

let current = "starting";

function ok(line: string): void {
  console.log(`ok   ${line}`);
}

function fail(message: string): never {
  console.error(`FAIL ${current}: ${message}`);
  process.exit(1);
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) fail(message);
}

/** Things that arrive over time, and a way to wait for one of them. */
class Inbox<T> {
  readonly items: T[] = [];
  private wake = () => {};

  push(item: T): void {
    this.items.push(item);
    this.wake();
  }

  async until<U>(find: (items: T[]) => U | undefined, ms: number, what: string): Promise<U> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = find(this.items);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) fail(`no ${what} within ${(ms / 1000).toFixed(1)} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  setTimeout(() => fail(`the smoke test took over ${DEADLINE_MS / 1000} s`), DEADLINE_MS).unref();
  const api = new Api(url);
  const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

  const email = process.env["HINDSIGHT_EMAIL"] ?? `smoke-${suffix}@example.test`;
  const password = process.env["HINDSIGHT_PASSWORD"] ?? "correct horse battery staple";
  if (!process.env["HINDSIGHT_EMAIL"]) {
    current = "signUp";
    const first = await api.signUp({
      organizationName: `Smoke ${suffix}`,
      email,
      password,
      displayName: "Smoke Test",
    });
    ok(`signUp: organization "Smoke ${suffix}", ${first.user.role} ${first.user.email}`);
    current = "login";
    await api.login(email, password);
    await api.logout(first);
    ok(`login: signed in again as ${email} (the sign-up session signed out)`);
  } else {
    current = "login";
    await api.login(email, password);
    ok(`login: signed in as ${email}`);
  }
  const session = api.session!;

  current = "refreshSession";
  const { refreshToken } = session;
  await session.refresh();
  check(session.refreshToken !== refreshToken, "the refresh token did not rotate");
  const lifetime = session.expiresAt.getTime() - Date.now();
  ok(`refreshSession: new token pair, access token valid ${seconds(lifetime)}`);

  current = "createTeam";
  const created = await api.apollo.mutate({
    mutation: CreateTeam,
    variables: { input: { name: `Smoke ${suffix}`, description: "Made by the web client's smoke test" } },
  });
  const team = created.data!.createTeam;
  await api.apollo.mutate({
    mutation: AddTeamMember,
    variables: { teamId: team.id, userId: session.user.id, role: "LEAD" },
  });
  ok(`createTeam: ${team.name} (${team.slug}), led by ${session.user.displayName}`);

  current = "team dashboard";
  const dashboard = async () => {
    const { data } = await api.apollo.query({
      query: TeamDashboard,
      variables: { teamId: team.id, from: day(-30), to: day(0) },
    });
    check(data?.team, "the team is not visible to its lead");
    return data;
  };
  const board = await dashboard();
  ok(
    `team dashboard: ${board.team!.name}, you are ${board.team!.viewerRole}, ` +
      `${board.team!.members.totalCount} member(s), ${board.team!.incidents.totalCount} incident(s), ` +
      `${board.overdueActions.totalCount} overdue action(s), ` +
      `learningMetrics: ${board.learningMetrics.incidents} incident(s) in 30 days`,
  );

  current = "subscribe";
  // Start from the last event the screen has seen: here, the end of the team's history.
  let start: string | null = null;
  for (let page: string | null | undefined = null; ; ) {
    const { data } = await api.apollo.query({ query: History, variables: { subjectId: team.id, after: page } });
    const history: HistoryQuery["history"] = data!.history;
    start = history.nodes.at(-1)?.id ?? start;
    if (!history.pageInfo.hasNextPage) break;
    page = history.pageInfo.endCursor;
  }
  check(start, "the new team has no history");
  const events = new Inbox<LiveEvent>();
  const statuses = new Inbox<LiveStatus & { at: number }>();
  const declare = async (title: string) => {
    const { data } = await api.apollo.mutate({
      mutation: DeclareIncident,
      variables: {
        input: {
          teamId: team.id,
          title,
          severity: "SEV3",
          startedAt: new Date(Date.now() - 60_000).toISOString(),
          summary: "Declared by the web client's smoke test.",
        },
      },
    });
    return data!.declareIncident;
  };
  const arrived = (id: string) => (items: LiveEvent[]) =>
    items.find((event) => event.kind === "INCIDENT_DECLARED" && event.subjectId === id);
  let whileAway: Awaited<ReturnType<typeof declare>> | undefined;
  const feed = watchEvents({
    url,
    session,
    after: start,
    onEvent: (event) => events.push(event),
    onStatus: (status) => statuses.push({ ...status, at: Date.now() }),
    onError: (error) => fail(`the live feed ended: ${describeError(error)}`),
    // The first time the feed reconnects, change something while no socket listens: the
    // resumed subscription must replay it.
    beforeReconnect: async () => {
      whileAway ??= await declare("Declared while the feed was away");
    },
  });
  const connected = await statuses.until((s) => s.find((x) => x.kind === "connected"), 10_000, "connection_ack");
  const signedInUntil = session.expiresAt.getTime();
  ok(`subscribed: events(after: ${start}) over ${socketUrl(url)}`);

  current = "live event";
  const first = await declare("Declared before the token expired");
  await events.until(arrived(first.id), 10_000, `INCIDENT_DECLARED event of ${first.id}`);
  ok(`live: INCIDENT_DECLARED of "${first.title}" arrived`);

  current = "token expiry";
  const left = signedInUntil - Date.now();
  check(
    left < 60_000,
    `the socket's access token is valid ${seconds(left)} more: run the server with --access-token-ttl 5s`,
  );
  const closed = await statuses.until(
    (s) => s.find((x) => x.kind === "closed"),
    left + 10_000,
    "close of the socket when its access token expired",
  );
  check(closed.kind === "closed", "unreachable");
  ok(`the server closed the socket ${seconds(closed.at - connected.at)} after it signed in: ${closed.code} "${closed.reason}"`);

  current = "reconnect";
  const reconnected = await statuses.until(
    (s) => s.find((x) => x.kind === "connected" && x.reconnect),
    20_000,
    "reconnection",
  );
  check(reconnected.kind === "connected", "unreachable");
  check(whileAway, "nothing was declared while the feed was away");
  check(closed.code === 4419, `expected close 4419 (token expired, retried by graphql-ws), got ${closed.code}`);
  ok(
    `reconnected with a refreshed token (${session.refreshes} refresh(es) so far): graphql-ws retried ` +
      `close ${closed.code} by itself, resuming events(after: ${reconnected.after})`,
  );

  current = "nothing missed";
  const last = await declare("Declared after the feed reconnected");
  await events.until(arrived(whileAway.id), 10_000, `replayed INCIDENT_DECLARED of ${whileAway.id}`);
  await events.until(arrived(last.id), 10_000, `INCIDENT_DECLARED event of ${last.id}`);
  // Give a repeated delivery time to show up.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const counts = new Map<string, number>();
  for (const event of events.items) counts.set(event.id, (counts.get(event.id) ?? 0) + 1);
  const repeated = [...counts].filter(([, n]) => n > 1);
  check(repeated.length === 0, `events delivered more than once: ${JSON.stringify(repeated)}`);
  for (const incident of [first, whileAway, last]) {
    const declared = events.items.filter(
      (event) => event.kind === "INCIDENT_DECLARED" && event.subjectId === incident.id,
    );
    check(declared.length === 1, `INCIDENT_DECLARED of ${incident.id} arrived ${declared.length} times`);
  }
  ok(
    `live: "${whileAway.title}" (replayed) and "${last.title}" arrived; ` +
      `each of the 3 incidents exactly once, ${events.items.length} event(s), none repeated`,
  );

  current = "dashboard after refresh";
  const after = await dashboard();
  check(after.team!.incidents.totalCount === 3, `expected 3 incidents, saw ${after.team!.incidents.totalCount}`);
  ok(`team dashboard again: ${after.team!.incidents.totalCount} incident(s), ${session.refreshes} refresh(es) in all`);

  current = "logout";
  await feed.close();
  await api.logout(session);
  ok("logout: live feed closed, session ended");
}

main().then(
  () => process.exit(0),
  (error: unknown) => fail(`${describeError(error)} (HINDSIGHT_URL=${url})`),
);
