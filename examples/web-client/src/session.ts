// The signed-in session: an access token that lives minutes and a refresh token that works once.
import type { SessionFieldsFragment } from "./gql/graphql";

/** Exchanges a refresh token for a new pair (the `refreshSession` mutation). */
export type Exchange = (refreshToken: string) => Promise<SessionFieldsFragment>;

export class Session {
  private current: SessionFieldsFragment;
  private receivedAt = Date.now();
  private refreshing: Promise<string> | undefined;
  /** How many times the pair was exchanged. */
  refreshes = 0;

  constructor(
    signedIn: SessionFieldsFragment,
    private readonly exchange: Exchange,
  ) {
    this.current = signedIn;
  }

  get user(): SessionFieldsFragment["user"] {
    return this.current.user;
  }

  get refreshToken(): string {
    return this.current.refreshToken;
  }

  get expiresAt(): Date {
    return new Date(this.current.expiresAt);
  }

  /**
   * A token to send now. It is refreshed first when it expires within a fifth of its lifetime
   * (at most 30 s), or when it is the token the server just `rejected` (expired early by the
   * server's clock, or a socket closed on it).
   */
  async accessToken(rejected?: string): Promise<string> {
    const token = this.current.accessToken;
    if (rejected !== undefined && rejected === token) return this.refresh();
    const expires = Date.parse(this.current.expiresAt);
    const margin = Math.min(30_000, (expires - this.receivedAt) / 5);
    if (expires - Date.now() > margin) return token;
    return this.refresh();
  }

  /**
   * Exchanges the refresh token, once however many callers ask at the same time: a refresh
   * token presented twice signs the whole session out.
   */
  refresh(): Promise<string> {
    this.refreshing ??= (async () => {
      try {
        const next = await this.exchange(this.current.refreshToken);
        this.current = next;
        this.receivedAt = Date.now();
        this.refreshes += 1;
        return next.accessToken;
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }
}
