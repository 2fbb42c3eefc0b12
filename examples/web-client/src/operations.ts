// Every document the client sends. `npm run codegen` reads them from here and writes their
// result and variable types to src/gql/, so a document that does not match schema.graphql
// fails `npm run typecheck`.
import { graphql } from "./gql";

export const SessionFields = graphql(`
  fragment SessionFields on AuthPayload {
    accessToken
    refreshToken
    expiresAt
    user {
      id
      email
      displayName
      role
    }
  }
`);

export const SignUp = graphql(`
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      ...SessionFields
    }
  }
`);

export const Login = graphql(`
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      ...SessionFields
    }
  }
`);

export const RefreshSession = graphql(`
  mutation RefreshSession($refreshToken: String!) {
    refreshSession(refreshToken: $refreshToken) {
      ...SessionFields
    }
  }
`);

export const Logout = graphql(`
  mutation Logout($refreshToken: String!) {
    logout(refreshToken: $refreshToken)
  }
`);

export const CreateTeam = graphql(`
  mutation CreateTeam($input: CreateTeamInput!) {
    createTeam(input: $input) {
      id
      name
      slug
    }
  }
`);

export const AddTeamMember = graphql(`
  mutation AddTeamMember($teamId: ID!, $userId: ID!, $role: TeamRole!) {
    addTeamMember(teamId: $teamId, userId: $userId, role: $role) {
      id
      role
    }
  }
`);

export const DeclareIncident = graphql(`
  mutation DeclareIncident($input: DeclareIncidentInput!) {
    declareIncident(input: $input) {
      id
      title
      severity
      status
    }
  }
`);

/** What a team's screen shows: the team, its incidents, its overdue actions and its metrics. */
export const TeamDashboard = graphql(`
  query TeamDashboard($teamId: ID!, $from: Date!, $to: Date!) {
    team(id: $teamId) {
      id
      name
      slug
      viewerRole
      members(first: 20) {
        totalCount
        nodes {
          role
          user {
            id
            displayName
          }
        }
      }
      incidents(first: 10) {
        totalCount
        nodes {
          id
          title
          severity
          status
          startedAt
          review {
            id
            status
          }
        }
      }
    }
    overdueActions(teamId: $teamId, first: 10) {
      totalCount
      nodes {
        id
        title
        dueDate
        daysOverdue
        owner {
          displayName
        }
      }
    }
    learningMetrics(teamId: $teamId, from: $from, to: $to) {
      incidents
      incidentsRequiringReview
      reviewsPublished
      reviewCompletionRate
      actions
      overdueActions
      medianDaysOverdue
      repeatThemes {
        tag
        incidents
      }
    }
  }
`);

/** The change log of one object, oldest first: where a screen starts listening from. */
export const History = graphql(`
  query History($subjectId: ID!, $after: String) {
    history(subjectId: $subjectId, first: 100, after: $after) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        id
        kind
      }
    }
  }
`);

/**
 * The organization's event log, live. With `after`, the server first replays what was logged
 * after that event, then goes live, with nothing missed or repeated.
 */
export const LiveEvents = graphql(`
  subscription LiveEvents($after: ID, $kinds: [EventKind!]) {
    events(after: $after, kinds: $kinds) {
      id
      kind
      subjectId
      createdAt
      payload
      actor {
        displayName
      }
    }
  }
`);
