use async_graphql::{ID, Interface};

use super::{
    Action, ApiToken, Comment, ContributingFactor, FollowUp, Incident, Invitation, Link, Membership, Organization,
    ParkedQuestion, Review, Service, Team, TimelineEntry, User, Webhook, WebhookDelivery,
};

/// An object with a global ID, resolvable with `node(id:)`.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global ID."))]
pub enum Node {
    Organization(Organization),
    User(User),
    Invitation(Invitation),
    Team(Team),
    Membership(Membership),
    ApiToken(ApiToken),
    Incident(Incident),
    Review(Review),
    TimelineEntry(TimelineEntry),
    ParkedQuestion(ParkedQuestion),
    ContributingFactor(ContributingFactor),
    Link(Link),
    Action(Action),
    FollowUp(FollowUp),
    Webhook(Webhook),
    WebhookDelivery(WebhookDelivery),
    Comment(Comment),
    Service(Service),
}
