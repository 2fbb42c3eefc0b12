// The event log, live over graphql-ws, surviving the end of every access token with nothing
// missed: reconnect with a refreshed token, then resume with `events(after: <last event seen>)`.
import { print } from "graphql";
import { CloseCode, createClient } from "graphql-ws";
import WebSocket from "ws";
import type { EventKind, LiveEventsSubscription, LiveEventsSubscriptionVariables } from "./gql/graphql";
import { LiveEvents } from "./operations";
import type { Session } from "./session";

export type LiveEvent = LiveEventsSubscription["events"];

/**
 * Close codes of the server, and what this client does on each. Whatever `shouldRetry` says,
 * graphql-ws never retries 4004, 4005, 4400, 4401, 4406, 4409, 4429, 4500, nor any 1xxx code but
 * 1000, 1001, 1005, 1006 and 1012–1014; it retries every other close code.
 */
export const Close = {
  /** The access token expired: reconnect at once with a refreshed one. */
  TOKEN_EXPIRED: 4419,
  /** Credentials refused or revoked (fatal in graphql-ws). */
  UNAUTHORIZED: CloseCode.Unauthorized,
  /** The organization role changed: reconnect to act with the new one. */
  ROLE_CHANGED: 4403,
  /** The subscription fell too far behind: reconnect and resume. */
  SLOW_CONSUMER: 4413,
  /** The server is shutting down: reconnect (to another one). */
  GOING_AWAY: 1001,
  /** Credentials could not be checked now. */
  TRY_AGAIN_LATER: 1013,
} as const;

export type LiveStatus =
  | { kind: "connected"; reconnect: boolean; after: string | null }
  | { kind: "closed"; code: number; reason: string };

export interface LiveOptions {
  /** The GraphQL HTTP URL; the socket is at the same path + `/ws`. */
  url: string;
  session: Session;
  /** The last event already seen: the server replays what came after it, then goes live. */
  after?: string | null;
  kinds?: EventKind[];
  onEvent(event: LiveEvent): void;
  /** The subscription ended for good (signed out, retries exhausted, a GraphQL error). */
  onError(error: unknown): void;
  onStatus?(status: LiveStatus): void;
  /** Awaited before each reconnect signs in, while no socket listens. */
  beforeReconnect?(): Promise<void>;
}

export interface LiveFeed {
  /** The ID of the last event received (where a reconnect resumes). */
  readonly after: string | null;
  close(): Promise<void>;
}

export function watchEvents(options: LiveOptions): LiveFeed {
  const variables: LiveEventsSubscriptionVariables = { after: options.after ?? null, kinds: options.kinds ?? null };
  // graphql-ws sends this same object again on every reconnect: moving `after` forward as
  // events arrive makes each reconnect resume right after the last event seen.
  const request = { query: print(LiveEvents), variables };

  let token: string | undefined; // what the current socket signed in with
  let rejected: string | undefined; // a token the server closed a socket on: refresh it
  let lastClose: number | undefined;
  let connections = 0;
  let reconnecting = false;
  let stopped = false;

  const client = createClient({
    url: socketUrl(options.url),
    webSocketImpl: WebSocket,
    connectionParams: async () => {
      if (reconnecting) await options.beforeReconnect?.();
      reconnecting = false;
      token = await options.session.accessToken(rejected);
      rejected = undefined;
      return { authorization: `Bearer ${token}` };
    },
    retryAttempts: 10,
    shouldRetry: isCloseEvent,
    retryWait: async (retries) => {
      // An expired token needs no backoff: a fresh one is a refresh away.
      if (retries === 0 && lastClose === Close.TOKEN_EXPIRED) return;
      await sleep(Math.min(30_000, 500 * 2 ** retries) + Math.random() * 500);
    },
    on: {
      connected: (_socket, _payload, wasRetry) => {
        const reconnect = wasRetry || connections++ > 0;
        options.onStatus?.({ kind: "connected", reconnect, after: variables.after ?? null });
      },
      closed: (event) => {
        if (!isCloseEvent(event)) return;
        lastClose = event.code;
        if (stopped) return;
        reconnecting = true;
        if (event.code === Close.TOKEN_EXPIRED) rejected = token;
        options.onStatus?.({ kind: "closed", code: event.code, reason: event.reason });
      },
    },
  });

  const unsubscribe = client.subscribe<LiveEventsSubscription>(request, {
      next: (result) => {
        if (result.errors?.length || !result.data) {
          stop(result.errors ?? new Error("an event without data"));
          return;
        }
        variables.after = result.data.events.id;
        options.onEvent(result.data.events);
      },
      error: (error) => stop(error),
      complete: () => {
        if (!stopped) stop(new Error("the server ended the events subscription"));
      },
    });

  function stop(error: unknown): void {
    if (stopped) return;
    stopped = true;
    unsubscribe();
    void client.dispose();
    options.onError(error);
  }

  return {
    get after() {
      return variables.after ?? null;
    },
    async close() {
      stopped = true;
      unsubscribe();
      await client.dispose();
    },
  };
}

/** ws://host/graphql/ws for http://host/graphql (wss for https). */
export function socketUrl(httpUrl: string): string {
  const url = new URL(httpUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.pathname = `${url.pathname.replace(/\/$/, "")}/ws`;
  return url.toString();
}

function isCloseEvent(value: unknown): value is { code: number; reason: string } {
  return typeof value === "object" && value !== null && "code" in value && "reason" in value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
