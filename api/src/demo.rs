//! Demo data for `--demo`: an organization with teams and people, so a newcomer sees data at once.

use entity::{OrgRole, TeamRole, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::app::AppState;
use crate::auth::{Credential, Viewer};
use crate::domain::identity::{self, SignUp};
use crate::domain::teams::{self, NewTeam};
use crate::domain::users::{self, AcceptInvitation};

pub const DEMO_ADMIN_EMAIL: &str = "admin@hindsight.example";
pub const DEMO_PASSWORD: &str = "hindsight-demo";

/// Seeds the demo organization once; later starts find it and only log the sign-in.
pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    let existing = user::Entity::find().filter(user::Column::Email.eq(DEMO_ADMIN_EMAIL)).one(&state.db).await?;
    if existing.is_none() {
        seed_organization(state).await?;
    }
    tracing::info!("demo organization ready: sign in with email {DEMO_ADMIN_EMAIL} and password {DEMO_PASSWORD}");
    Ok(())
}

async fn seed_organization(state: &AppState) -> anyhow::Result<()> {
    let (db, auth) = (&state.db, &state.auth);
    let session = identity::sign_up(
        db,
        auth,
        true,
        SignUp {
            organization_name: "Demo Org".into(),
            email: DEMO_ADMIN_EMAIL.into(),
            password: DEMO_PASSWORD.into(),
            display_name: "Dana Admin".into(),
        },
    )
    .await?;
    let admin = Viewer {
        user_id: session.user.id,
        org_id: session.user.organization_id,
        org_role: OrgRole::Admin,
        credential: Credential::Session { session_id: uuid::Uuid::nil() },
    };

    let payments = teams::create(
        db,
        &admin,
        NewTeam { name: "Payments".into(), slug: None, description: Some("Card processing and payouts".into()) },
    )
    .await?;
    let platform = teams::create(
        db,
        &admin,
        NewTeam {
            name: "Platform".into(),
            slug: None,
            description: Some("Clusters, databases and the deploy pipeline".into()),
        },
    )
    .await?;
    let support = teams::create(
        db,
        &admin,
        NewTeam { name: "Customer Support".into(), slug: Some("support".into()), description: None },
    )
    .await?;

    let people = [
        ("priya@hindsight.example", "Priya Lead", payments.id, TeamRole::Lead),
        ("marco@hindsight.example", "Marco Engineer", payments.id, TeamRole::Member),
        ("sam@hindsight.example", "Sam SRE", platform.id, TeamRole::Lead),
        ("lee@hindsight.example", "Lee Engineer", platform.id, TeamRole::Member),
        ("jo@hindsight.example", "Jo Support", support.id, TeamRole::Viewer),
    ];
    for (email, name, team_id, role) in people {
        let invitation = users::invite(db, auth, &admin, email, OrgRole::Member).await?;
        let joined = users::accept_invitation(
            db,
            auth,
            AcceptInvitation { token: invitation.token, password: DEMO_PASSWORD.into(), display_name: name.into() },
        )
        .await?;
        teams::add_member(db, &admin, team_id, joined.user.id, role).await?;
    }
    teams::add_member(db, &admin, platform.id, session.user.id, TeamRole::Lead).await?;
    Ok(())
}
