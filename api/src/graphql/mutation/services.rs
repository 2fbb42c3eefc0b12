use async_graphql::{Context, ID, InputObject, Object, Result};

use crate::domain::services::{self, NewService, ServiceChanges};
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::graphql::types::{Incident, Service};
use crate::ids::{self, NodeKind};

/// A service for the catalog.
#[derive(InputObject)]
pub struct CreateServiceInput {
    /// Its name: 1 to 120 characters, unique in the organization regardless of case.
    pub name: String,
    /// What it does: at most 2,000 characters.
    pub description: Option<String>,
    /// The team that owns it: the viewer leads it (or is an admin).
    pub owner_team_id: ID,
    /// How critical it is: 1 (most critical) to 4; 3 when omitted.
    pub tier: Option<i32>,
}

/// Changes to a service; omitted fields stay as they are, an empty description clears it.
#[derive(InputObject)]
pub struct UpdateServiceInput {
    /// Its name: 1 to 120 characters, unique in the organization regardless of case.
    pub name: Option<String>,
    /// What it does: at most 2,000 characters.
    pub description: Option<String>,
    /// Another owning team: the viewer leads it too (or is an admin).
    pub owner_team_id: Option<ID>,
    /// How critical it is: 1 (most critical) to 4.
    pub tier: Option<i32>,
}

fn team_id(id: Option<&ID>) -> Result<Option<uuid::Uuid>, AppError> {
    id.map(|id| ids::decode(id, NodeKind::Team, "ownerTeamId")).transpose().map_err(AppError::in_input)
}

fn service_id(id: &ID) -> Result<uuid::Uuid> {
    Ok(ids::decode(id, NodeKind::Service, "id")?)
}

#[derive(Default)]
pub struct ServiceMutation;

#[Object]
impl ServiceMutation {
    /// Adds a service to the catalog: an admin, or a lead of the owning team (FORBIDDEN
    /// otherwise). A name the organization already has, in any case, is BAD_USER_INPUT.
    async fn create_service(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The service.")] input: CreateServiceInput,
    ) -> Result<Service> {
        let viewer = ctx.viewer()?;
        let owner_team_id = team_id(Some(&input.owner_team_id))?.unwrap_or_default();
        let service = NewService { name: input.name, description: input.description, owner_team_id, tier: input.tier };
        Ok(Service(services::create(ctx.db(), viewer, service).await?))
    }

    /// Changes a service: an admin, or a lead of the owning team (and of the new one, when it
    /// changes hands; FORBIDDEN otherwise).
    async fn update_service(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The service.")] id: ID,
        #[graphql(desc = "The changes.")] input: UpdateServiceInput,
    ) -> Result<Service> {
        let viewer = ctx.viewer()?;
        let changes = ServiceChanges {
            name: input.name,
            description: input.description,
            owner_team_id: team_id(input.owner_team_id.as_ref())?,
            tier: input.tier,
        };
        Ok(Service(services::update(ctx.db(), viewer, service_id(&id)?, changes).await?))
    }

    /// Archives a service: it leaves the catalog's lists and may no longer be named on an
    /// incident; the incidents that named it keep it. An admin, or a lead of the owning team
    /// (FORBIDDEN otherwise); archiving again changes nothing.
    async fn archive_service(&self, ctx: &Context<'_>, #[graphql(desc = "The service.")] id: ID) -> Result<Service> {
        let viewer = ctx.viewer()?;
        Ok(Service(services::archive(ctx.db(), viewer, service_id(&id)?).await?))
    }

    /// Replaces the services an incident touched (at most 20; an empty list clears them): leads
    /// and members of the owning team, or an admin (FORBIDDEN otherwise). A service of another
    /// organization, or an archived one the incident did not already name, is BAD_USER_INPUT
    /// at its place in `serviceIds`.
    async fn set_incident_services(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The incident.")] incident_id: ID,
        #[graphql(desc = "Every service it touched.")] service_ids: Vec<ID>,
    ) -> Result<Incident> {
        let viewer = ctx.viewer()?;
        let incident_id = ids::decode(&incident_id, NodeKind::Incident, "incidentId")?;
        let service_ids = crate::domain::validate::each("serviceIds", &service_ids, |id| {
            ids::decode(id, NodeKind::Service, "serviceIds")
        })?;
        Ok(Incident(services::set_for_incident(ctx.db(), viewer, incident_id, service_ids).await?))
    }
}
