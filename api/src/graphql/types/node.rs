use async_graphql::{ID, Interface};

use super::{ApiToken, Invitation, Membership, Organization, Team, User};

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
}
