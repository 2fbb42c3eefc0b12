//! The committed schema is the schema the code serves.

use serde_json::json;

use crate::harness::TestApp;

#[test]
fn schema_graphql_is_up_to_date() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql at the repo root");
    let current = hindsight_api::graphql::sdl();
    assert!(committed == current, "schema.graphql is stale: run `cargo run -- schema > schema.graphql` and commit it");
}

#[test]
fn the_contract_names_are_in_the_schema() {
    let sdl = signatures(&hindsight_api::graphql::sdl());
    for name in [
        "node(id: ID!): Node",
        "me: User!",
        "organization: Organization!",
        "teams(first: Int, after: String): TeamConnection!",
        "team(id: ID!): Team",
        "users(search: String, first: Int, after: String): UserConnection!",
        "signUp(input: SignUpInput!): AuthPayload!",
        "login(email: String!, password: String!): AuthPayload!",
        "refreshSession(refreshToken: String): AuthPayload!",
        "logout(refreshToken: String): Boolean!",
        "logoutEverywhere: Boolean!",
        "changePassword(currentPassword: String!, newPassword: String!): Boolean!",
        "inviteUser(input: InviteUserInput!): InvitationPayload!",
        "acceptInvitation(input: AcceptInvitationInput!): AuthPayload!",
        "setOrgRole(userId: ID!, role: OrgRole!): User!",
        "deactivateUser(userId: ID!): User!",
        "createTeam(input: CreateTeamInput!): Team!",
        "updateTeam(id: ID!, input: UpdateTeamInput!): Team!",
        "addTeamMember(teamId: ID!, userId: ID!, role: TeamRole!): Membership!",
        "updateTeamMember(teamId: ID!, userId: ID!, role: TeamRole!): Membership!",
        "removeTeamMember(teamId: ID!, userId: ID!): Boolean!",
        "createApiToken(name: String!, scope: TokenScope!, expiresAt: DateTime, currentPassword: String!): ApiTokenPayload!",
        "revokeApiToken(id: ID!): ApiToken!",
        "updateReviewPolicy(input: ReviewPolicyInput!): Organization!",
        "declareIncident(input: DeclareIncidentInput!): Incident!",
        "updateIncident(id: ID!, input: UpdateIncidentInput!, expectedVersion: Int): Incident!",
        "setIncidentStatus(id: ID!, status: IncidentStatus!, at: DateTime, expectedVersion: Int): Incident!",
        "addResponder(incidentId: ID!, userId: ID!): Incident!",
        "removeResponder(incidentId: ID!, userId: ID!): Incident!",
        "setAffectedTeams(incidentId: ID!, teamIds: [ID!]!): Incident!",
        "tagIncident(incidentId: ID!, tags: [String!]!): Incident!",
        "startReview(incidentId: ID!): Review!",
        "updateReview(id: ID!, input: UpdateReviewInput!, expectedVersion: Int): Review!",
        "assignFacilitator(reviewId: ID!, userId: ID!): Review!",
        "addParticipant(reviewId: ID!, userId: ID!, role: ReviewRole!): Review!",
        "removeParticipant(reviewId: ID!, userId: ID!, role: ReviewRole!): Review!",
        "addTimelineEntry(reviewId: ID!, input: TimelineEntryInput!): TimelineEntry!",
        "updateTimelineEntry(id: ID!, input: TimelineEntryInput!): TimelineEntry!",
        "removeTimelineEntry(id: ID!): Boolean!",
        "parkQuestion(reviewId: ID!, text: String!): ParkedQuestion!",
        "answerParkedQuestion(id: ID!, answer: String!): ParkedQuestion!",
        "setWhys(reviewId: ID!, whys: [WhyInput!]!): Review!",
        "addContributingFactor(reviewId: ID!, input: ContributingFactorInput!): ContributingFactor!",
        "removeContributingFactor(id: ID!): Boolean!",
        "addLink(reviewId: ID!, title: String!, url: String!): Link!",
        "submitReview(id: ID!): Review!",
        "returnToDraft(id: ID!): Review!",
        "publishReview(id: ID!, expectedVersion: Int): Review!",
        "reopenReview(id: ID!, reason: String!): Review!",
        "incidents(filter: IncidentFilter, first: Int, after: String): IncidentConnection!",
        "incident(id: ID!): Incident",
        "review(id: ID!): Review",
        "blamelessCheck(text: String!): [BlamelessFinding!]!",
        "history(subjectId: ID!, first: Int, after: String): EventConnection!",
        "tags: [Tag!]!",
        "createAction(input: CreateActionInput!): Action!",
        "updateAction(id: ID!, input: UpdateActionInput!, expectedVersion: Int): Action!",
        "rescheduleAction(id: ID!, dueDate: Date!, reason: String!): Action!",
        "reassignAction(id: ID!, ownerId: ID!): Action!",
        "rankActions(reviewId: ID!, actionIds: [ID!]!): [Action!]!",
        "startAction(id: ID!): Action!",
        "completeAction(id: ID!, evidence: String!): Action!",
        "dropAction(id: ID!, reason: String!): Action!",
        "recordFollowUp(reviewId: ID!, input: FollowUpInput!): FollowUp!",
        "actions(filter: ActionFilter, first: Int, after: String): ActionConnection!",
        "overdueActions(teamId: ID, ownerId: ID, first: Int, after: String): ActionConnection!",
        "learningMetrics(teamId: ID, from: Date!, to: Date!, groupBy: MetricsGroupBy): LearningMetrics!",
        "dueFollowUps(teamId: ID, first: Int, after: String): ReviewConnection!",
        "learningFeed(teamIds: [ID!], tags: [String!], search: String, relevantTo: ID, first: Int, after: String): ReviewConnection!",
        "acknowledgeLearning(reviewId: ID!): Review!",
        "learningPublished(teamIds: [ID!], tags: [String!]): Review!",
        "actionChanged(teamId: ID, ownerId: ID): ActionEvent!",
        "actionOverdue(teamId: ID, ownerId: ID): Action!",
        "reviewChanged(reviewId: ID!): ReviewEvent!",
        "events(kinds: [EventKind!], after: ID): Event!",
        "createWebhook(input: CreateWebhookInput!): WebhookPayload!",
        "updateWebhook(id: ID!, input: UpdateWebhookInput!): Webhook!",
        "deleteWebhook(id: ID!): ID!",
        "rotateWebhookSecret(id: ID!): WebhookPayload!",
        "pingWebhook(id: ID!): WebhookDelivery!",
        "redeliverWebhookDelivery(id: ID!): WebhookDelivery!",
        "webhooks(first: Int, after: String): WebhookConnection!",
        "deliveries(first: Int, after: String, status: DeliveryStatus): WebhookDeliveryConnection!",
        "linkActionIssue(actionId: ID!, input: ExternalIssueInput!): Action!",
        "unlinkActionIssue(actionId: ID!): Action!",
        "requestPasswordReset(email: String!): Boolean!",
        "resetPassword(token: String!, newPassword: String!): AuthPayload!",
        "createPasswordReset(userId: ID!): PasswordResetPayload!",
        "updateNotificationPreferences(input: NotificationPreferencesInput!): User!",
        "notificationPreferences: NotificationPreferences",
        "areasForImprovement: [String!]!",
        "assumption: String",
        "effect: FactorEffect",
        "ON_CALL",
        "AFFECTED_TEAM_REP",
        "MANAGER",
        "suggestedParticipants: [SuggestedParticipant!]!",
        "agenda: Agenda!",
        "addComment(reviewId: ID!, input: CommentInput!): Comment!",
        "editComment(id: ID!, body: String!): Comment!",
        "deleteComment(id: ID!): ID!",
        "resolveComment(id: ID!): Comment!",
        "agreeTimeline(reviewId: ID!): Review!",
        "acceptAction(id: ID!): Action!",
        "declineAction(id: ID!, reason: String!): Action!",
        "timelineAgreedBy: [User!]!",
        "acceptedAt: DateTime",
        "comments(first: Int, after: String, unresolvedOnly: Boolean): CommentConnection!",
        "detectionSource: DetectionSource",
        "changeRef: String",
        "triggeredByChange: Boolean!",
        "groups: [LearningMetricsGroup!]!",
        "changeTriggeredRate: Float",
        "detectedByAlertRate: Float",
        "recurrenceRate: Float",
        "themes(from: Date!, to: Date!, first: Int): [Theme!]!",
        "related(first: Int): [RelatedReview!]!",
        "pendingLearnings(first: Int): [RelevantLearning!]!",
        "LEARNING_RELEVANT",
        "SHARED_SERVICE",
        "SHARED_TAG",
        "SIMILAR_FACTOR",
        "SIMILAR_ROOT_CAUSE",
    ] {
        assert!(sdl.contains(name), "the contract's `{name}` is missing from the schema");
    }
}

#[tokio::test]
async fn introspection_can_be_switched_off() {
    let app = TestApp::with_config(|c| c.introspection = false).await;
    let answer = app.exec(None, "{ __schema { queryType { name } } }", json!({})).await;
    assert!(!answer.errors().is_empty() || answer.0["data"]["__schema"].is_null(), "{answer:?}");
    let open = TestApp::new().await;
    let answer = open.exec(None, "{ __schema { queryType { name } } }", json!({})).await;
    assert_eq!(answer.data()["__schema"]["queryType"]["name"], "Query");
}

/// The SDL without descriptions and with each field's arguments on one line, as the contract
/// spells signatures (described arguments put the list on several lines).
fn signatures(sdl: &str) -> String {
    let mut text = String::new();
    let mut in_description = false;
    for line in sdl.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("\"\"\"") {
            if rest.is_empty() || !rest.ends_with("\"\"\"") {
                in_description = !in_description;
            }
            continue;
        }
        if in_description || line.is_empty() {
            continue;
        }
        if text.ends_with(',') {
            text.push(' ');
        } else if !text.ends_with('(') && !line.starts_with(')') {
            text.push('\n');
        }
        text.push_str(line);
    }
    text
}
