use async_graphql::{Context, ID, Object, Result};

use crate::domain::{actions, api_tokens, incidents, reviews, services, teams, users, webhooks};
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::graphql::types::{
    Action, ApiToken, Comment, ContributingFactor, FollowUp, Incident, Invitation, Link, Membership, Node,
    Organization, ParkedQuestion, Review, Service, Team, TimelineEntry, User, Webhook, WebhookDelivery,
};
use crate::ids::{self, NodeKind};

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global ID; null when it does not exist or is not visible to the viewer.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `id` of any object; a malformed ID is BAD_USER_INPUT.")] id: ID,
    ) -> Result<Option<Node>> {
        let viewer = ctx.viewer()?;
        let db = ctx.db();
        let Some((kind, key)) = ids::parse(&id) else {
            return Err(AppError::invalid("id", format!("`{}` is not a valid ID", id.as_str())).into());
        };
        let node = match kind {
            NodeKind::Organization if key == viewer.org_id => {
                Some(Node::Organization(Organization(users::organization(db, viewer).await?)))
            }
            NodeKind::Organization => None,
            NodeKind::User => users::get(db, viewer, key).await?.map(|u| Node::User(User(u))),
            NodeKind::Invitation => {
                users::get_invitation(db, viewer, key).await?.map(|i| Node::Invitation(Invitation(i)))
            }
            NodeKind::Team => teams::get(db, viewer, key).await?.map(|t| Node::Team(Team(t))),
            NodeKind::Membership => {
                teams::get_membership(db, viewer, key).await?.map(|m| Node::Membership(Membership(m)))
            }
            NodeKind::ApiToken => match api_tokens::find_visible(db, viewer, key).await {
                Ok(token) => Some(Node::ApiToken(ApiToken(token))),
                Err(AppError::NotFound(_)) => None,
                Err(e) => return Err(e.into()),
            },
            NodeKind::Incident => incidents::get(db, viewer, key).await?.map(|i| Node::Incident(Incident(i))),
            NodeKind::Review => reviews::get(db, viewer, key).await?.map(|r| Node::Review(Review(r))),
            NodeKind::TimelineEntry => {
                reviews::find_timeline_entry(db, viewer, key).await?.map(|e| Node::TimelineEntry(TimelineEntry(e)))
            }
            NodeKind::ParkedQuestion => {
                reviews::find_parked_question(db, viewer, key).await?.map(|q| Node::ParkedQuestion(ParkedQuestion(q)))
            }
            NodeKind::ContributingFactor => reviews::find_contributing_factor(db, viewer, key)
                .await?
                .map(|f| Node::ContributingFactor(ContributingFactor(f))),
            NodeKind::Link => reviews::find_link(db, viewer, key).await?.map(|l| Node::Link(Link(l))),
            NodeKind::Action => actions::get(db, viewer, key).await?.map(|a| Node::Action(Action(a))),
            NodeKind::FollowUp => reviews::find_follow_up(db, viewer, key).await?.map(|f| Node::FollowUp(FollowUp(f))),
            NodeKind::Webhook => webhooks::get(db, viewer, key).await?.map(|w| Node::Webhook(Webhook(w))),
            NodeKind::Service => services::get(db, viewer, key).await?.map(|s| Node::Service(Service(s))),
            NodeKind::Comment => reviews::find_comment(db, viewer, key).await?.map(|c| Node::Comment(Comment(c))),
            NodeKind::WebhookDelivery => {
                webhooks::get_delivery(db, viewer, key).await?.map(|d| Node::WebhookDelivery(WebhookDelivery(d)))
            }
        };
        Ok(node)
    }
}
