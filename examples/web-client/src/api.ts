// Queries and mutations over HTTP with Apollo Client, signed in with a refreshing session.
import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache } from "@apollo/client";
import { from, map, of, switchMap } from "rxjs";
import type { SessionFieldsFragment, SignUpInput } from "./gql/graphql";
import { Login, Logout, RefreshSession, SignUp } from "./operations";
import { Session } from "./session";

export class Api {
  readonly apollo: ApolloClient;
  session: Session | undefined;

  constructor(readonly url: string) {
    this.apollo = new ApolloClient({
      link: ApolloLink.from([this.authLink(), new HttpLink({ uri: url })]),
      cache: new InMemoryCache(),
      // A script wants what the server holds now, not what it read a moment ago.
      defaultOptions: { query: { fetchPolicy: "network-only" } },
    });
  }

  async signUp(input: SignUpInput): Promise<Session> {
    const { data } = await this.apollo.mutate({ mutation: SignUp, variables: { input }, context: ANONYMOUS });
    return this.signedIn(data!.signUp);
  }

  async login(email: string, password: string): Promise<Session> {
    const { data } = await this.apollo.mutate({ mutation: Login, variables: { email, password }, context: ANONYMOUS });
    return this.signedIn(data!.login);
  }

  /** Ends the session: its access tokens and sockets stop at once. */
  async logout(session: Session): Promise<void> {
    await this.apollo.mutate({
      mutation: Logout,
      variables: { refreshToken: session.refreshToken },
      context: ANONYMOUS,
    });
    if (this.session === session) this.session = undefined;
  }

  private signedIn(payload: SessionFieldsFragment): Session {
    this.session = new Session(payload, async (refreshToken) => {
      const { data } = await this.apollo.mutate({
        mutation: RefreshSession,
        variables: { refreshToken },
        context: ANONYMOUS,
      });
      return data!.refreshSession;
    });
    return this.session;
  }

  /**
   * Sends `Authorization: Bearer <access token>`, refreshing the token shortly before it expires;
   * an operation answered UNAUTHENTICATED is sent once more with a refreshed token (the server's
   * clock may run ahead of ours).
   */
  private authLink(): ApolloLink {
    return new ApolloLink((operation, forward) => {
      const session = this.session;
      if (operation.getContext().anonymous || !session) return forward(operation);
      const send = (rejected?: string) =>
        from(session.accessToken(rejected)).pipe(
          switchMap((token) => {
            operation.setContext(({ headers }) => ({ headers: { ...headers, authorization: `Bearer ${token}` } }));
            return forward(operation).pipe(map((result) => ({ result, token })));
          }),
        );
      return send().pipe(
        switchMap(({ result, token }) =>
          isUnauthenticated(result) ? send(token).pipe(map((retry) => retry.result)) : of(result),
        ),
      );
    });
  }
}

/** Context of the operations that sign in: they carry no access token. */
const ANONYMOUS = { anonymous: true };

function isUnauthenticated(result: ApolloLink.Result): boolean {
  return "errors" in result && !!result.errors?.some((error) => error.extensions?.["code"] === "UNAUTHENTICATED");
}

/** One line for an error, with the server's error codes. */
export function describeError(error: unknown): string {
  if (CombinedGraphQLErrors.is(error)) {
    return error.errors.map((e) => `${String(e.extensions?.["code"] ?? "ERROR")}: ${e.message}`).join("; ");
  }
  if (error instanceof Error) {
    // fetch's "fetch failed" says why in its cause (e.g. ECONNREFUSED).
    const cause = error.cause instanceof Error ? `: ${describeError(error.cause)}` : "";
    return `${error.message}${cause}`;
  }
  if (Array.isArray(error)) return error.map(describeError).join("; ");
  if (typeof error === "object" && error !== null && "code" in error && "reason" in error) {
    return `socket closed ${String(error.code)} ${String(error.reason)}`;
  }
  if (typeof error === "object" && error !== null && "message" in error) return String(error.message);
  return String(error);
}
