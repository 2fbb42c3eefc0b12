//! Demo data for `--demo`: an organization with teams, people, incidents and reviews in every
//! state, so a newcomer sees data at once.

use chrono::{DateTime, TimeDelta, Utc};
use entity::{
    ActionKind, DetectionSource, Effectiveness, FactorCategory, FactorEffect, FollowUpKind, IncidentStatus, OrgRole,
    ReviewRole, Severity, TeamRole, TimelineKind, user,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use hindsight_api::auth::{Credential, Viewer};
use hindsight_api::domain::actions::{self, NewAction};
use hindsight_api::domain::identity::{self, SignUp};
use hindsight_api::domain::incidents::{self, Cause, Declaration};
use hindsight_api::domain::reviews::{self, FollowUpInput, NewComment, ReviewChanges, TimelineInput};
use hindsight_api::domain::services::{self, NewService};
use hindsight_api::domain::teams::{self, NewTeam};
use hindsight_api::domain::users::{self, AcceptInvitation};
use hindsight_api::mail::Mailer;
use hindsight_api::state::AppState;

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

/// Seeds the organization as it would have grown: the server's clock is set back to its
/// start, moved forward through its story and given back to the system's time at the end.
/// Nothing is served meanwhile (the demo seeds before the server starts).
async fn seed_organization(state: &AppState) -> anyhow::Result<()> {
    let now = state.clock.now();
    state.clock.set(now - TimeDelta::days(SEV1_DAYS_AGO + 1));
    let seeded = seed_organization_from(state, now).await;
    state.clock.reset();
    seeded
}

/// How long ago the published SEV1 happened: its long-term follow-up (75 days after
/// publication by default) has come due.
const SEV1_DAYS_AGO: i64 = 80;

async fn seed_organization_from(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<()> {
    let (db, auth) = (&state.db, &state.auth);
    // The demo's people have made-up addresses: nothing of its story is emailed.
    let quiet = hindsight_api::Config { smtp_url: None, ..(*state.config).clone() };
    let mailer = &Mailer::new(&quiet, state.mailer.secrets.clone())?;
    let session = identity::sign_up(
        db,
        auth,
        mailer,
        true,
        SignUp {
            organization_name: "Demo Org".into(),
            email: DEMO_ADMIN_EMAIL.into(),
            password: DEMO_PASSWORD.into(),
            display_name: "Dana Admin".into(),
        },
        None,
    )
    .await?;
    let admin = Viewer {
        user_id: session.user.id,
        org_id: session.user.organization_id,
        org_role: OrgRole::Admin,
        credential: Credential::Session { session_id: uuid::Uuid::nil() },
        expires_at: None,
        clock: state.clock.clone(),
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
        let invitation = users::invite(db, auth, mailer, &admin, email, OrgRole::Member).await?;
        let joined = users::accept_invitation(
            db,
            auth,
            AcceptInvitation {
                token: anyhow::Context::context(invitation.token, "the demo emails nothing: the token is shown")?,
                password: DEMO_PASSWORD.into(),
                display_name: name.into(),
            },
            None,
        )
        .await?;
        teams::add_member(db, &admin, team_id, joined.user.id, role).await?;
    }
    teams::add_member(db, &admin, platform.id, session.user.id, TeamRole::Lead).await?;
    let people = People {
        priya: user_id(state, "priya@hindsight.example").await?,
        marco: user_id(state, "marco@hindsight.example").await?,
        sam: user_id(state, "sam@hindsight.example").await?,
        lee: user_id(state, "lee@hindsight.example").await?,
    };
    seed_incidents(state, &admin, payments.id, platform.id, &people, now).await
}

struct People {
    priya: Uuid,
    marco: Uuid,
    sam: Uuid,
    lee: Uuid,
}

/// One of the demo's people, acting on their own behalf (agreeing, accepting, commenting).
async fn person(state: &AppState, id: Uuid) -> anyhow::Result<Viewer> {
    let user = user::Entity::find_by_id(id).one(&state.db).await?;
    let user = user.ok_or_else(|| anyhow::anyhow!("demo user {id} is missing"))?;
    Ok(Viewer::of_person(&user, &state.clock))
}

async fn user_id(state: &AppState, email: &str) -> anyhow::Result<Uuid> {
    let user = user::Entity::find().filter(user::Column::Email.eq(email)).one(&state.db).await?;
    user.map(|u| u.id).ok_or_else(|| anyhow::anyhow!("demo user {email} is missing"))
}

/// Incidents in every state: a published review with actions in every state (two overdue), a
/// follow-up held and one due, a draft due soon, an open incident and a mitigated near miss.
async fn seed_incidents(
    state: &AppState,
    admin: &Viewer,
    payments: Uuid,
    platform: Uuid,
    people: &People,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let (db, clock) = (&state.db, &state.clock);
    let today = now.date_naive();
    let declare = |team_id, title: &str, severity, started_at, near_miss| Declaration {
        team_id,
        title: title.into(),
        severity,
        started_at,
        detected_at: Some(started_at + TimeDelta::minutes(6)),
        summary: None,
        customer_impact: None,
        near_miss: Some(near_miss),
        cause: Default::default(),
    };

    // The services the incidents touch: a team is told when a review elsewhere concerns its own.
    clock.set(now - TimeDelta::days(SEV1_DAYS_AGO + 30));
    let service = |name: &str, description: &str, owner_team_id| NewService {
        name: name.into(),
        description: Some(description.into()),
        owner_team_id,
        tier: Some(1),
    };
    let checkout_api =
        services::create(db, admin, service("Checkout API", "Takes orders and payments", payments)).await?;
    let orders_db =
        services::create(db, admin, service("Orders database", "The PostgreSQL cluster behind orders", platform))
            .await?;

    // A SEV1 from long ago, reviewed the next day and published: Platform, which owns the
    // orders database, is told.
    let started = now - TimeDelta::days(SEV1_DAYS_AGO);
    clock.set(started + TimeDelta::hours(3));
    let mut checkout = declare(payments, "Checkout latency spike", Severity::Sev1, started, false);
    checkout.cause = Cause { detection_source: Some(DetectionSource::Alert), ..Default::default() };
    let checkout = incidents::declare(db, admin, checkout).await?;
    incidents::add_responder(db, admin, checkout.id, people.marco).await?;
    incidents::set_tags(db, admin, checkout.id, vec!["database".into(), "checkout".into()]).await?;
    services::set_for_incident(db, admin, checkout.id, vec![checkout_api.id, orders_db.id]).await?;
    incidents::set_status(
        db,
        admin,
        checkout.id,
        IncidentStatus::Mitigated,
        Some(started + TimeDelta::minutes(35)),
        None,
    )
    .await?;
    incidents::set_status(db, admin, checkout.id, IncidentStatus::Resolved, Some(started + TimeDelta::hours(2)), None)
        .await?;
    let review = incidents::review_of(db, checkout.id).await?.ok_or_else(|| anyhow::anyhow!("a SEV1 gets a review"))?;
    clock.set(started + TimeDelta::hours(26));
    reviews::assign_facilitator(db, admin, review.id, people.sam).await?;
    reviews::add_participant(db, admin, review.id, people.marco, ReviewRole::Responder).await?;
    let changes = ReviewChanges {
        summary: Some(
            "A slow query plan on the orders table made checkout p99 latency reach 9 s for 35 minutes.".into(),
        ),
        impact: Some("About 4% of checkouts timed out; customers retried successfully.".into()),
        went_well: Some(vec!["The latency alert paged within 6 minutes".into()]),
        got_lucky: Some(vec!["The spike started after the evening peak".into()]),
        learnings: Some(vec!["Query plans can change under us after statistics refresh".into()]),
        areas_for_improvement: Some(vec!["Watch the query plans of the checkout path, not only its latency".into()]),
        scheduled_for: Some(started + TimeDelta::hours(26)),
        ..Default::default()
    };
    reviews::update(db, admin, review.id, changes, None).await?;
    for (minutes, event, kind, assumption) in [
        (0, "Statistics refresh finished on the orders table", TimelineKind::Fact, None),
        (
            6,
            "Checkout latency alert fired",
            TimelineKind::Signal,
            Some("A slow payment provider, as in the last two latency pages"),
        ),
        (20, "On-call pinned the previous query plan", TimelineKind::Fact, None),
    ] {
        let entry = TimelineInput {
            occurred_at: started + TimeDelta::minutes(minutes),
            event: event.into(),
            information_available: None,
            decision: None,
            kind: Some(kind),
            source_url: None,
            assumption: assumption.map(Into::into),
        };
        reviews::add_timeline_entry(db, admin, review.id, entry).await?;
    }
    // The meeting: the facilitator and the responder agree on what happened, and the
    // discussion points at the root cause.
    let (sam, marco, priya) =
        (person(state, people.sam).await?, person(state, people.marco).await?, person(state, people.priya).await?);
    reviews::agree_timeline(db, &sam, review.id).await?;
    reviews::agree_timeline(db, &marco, review.id).await?;
    let question = NewComment {
        body: "Is the statistics refresh itself the cause, or that nothing checks the plans after it?".into(),
        location: Some("whys[2].answer".into()),
        reply_to: None,
        mention_ids: vec![people.priya],
    };
    let thread = reviews::add_comment(db, &sam, review.id, question).await?;
    let answer = NewComment {
        body: "The missing check: refreshes are routine and will keep skewing estimates.".into(),
        location: None,
        reply_to: Some(thread.id),
        mention_ids: Vec::new(),
    };
    reviews::add_comment(db, &priya, review.id, answer).await?;
    reviews::resolve_comment(db, &sam, thread.id).await?;
    let whys = [
        ("Why was checkout slow?", "The orders query switched to a sequential scan."),
        ("Why did the plan change?", "The nightly statistics refresh skewed the row estimates."),
        (
            "Why did a skewed estimate reach production unnoticed?",
            "Nothing checks query plans of critical paths after a statistics refresh.",
        ),
    ];
    reviews::set_whys(db, admin, review.id, whys.iter().map(|(q, a)| (q.to_string(), a.to_string())).collect()).await?;
    reviews::add_contributing_factor(
        db,
        admin,
        review.id,
        FactorCategory::Technical,
        Some(FactorEffect::Triggered),
        "No plan regression check for the checkout queries",
    )
    .await?;
    reviews::add_contributing_factor(
        db,
        admin,
        review.id,
        FactorCategory::Process,
        Some(FactorEffect::DelayedDetection),
        "Statistics refresh runs without a change record",
    )
    .await?;
    // Due dates counted from today's date: two of them have passed by now.
    let action = |title: &str, owner, days, kind| NewAction {
        review_id: review.id,
        title: title.into(),
        description: None,
        owner_id: owner,
        team_id: None,
        due_date: today + TimeDelta::days(days),
        success_metric: "Checkout p99 stays under 800 ms through statistics refreshes".into(),
        kind,
    };
    // Each owner says yes as the actions are read out.
    let check = actions::create(
        db,
        admin,
        action("Add a plan-regression check for the checkout queries", people.marco, -2, ActionKind::Systemic),
    )
    .await?;
    actions::accept(db, &marco, check.id).await?;
    actions::start(db, admin, check.id).await?;
    let pin = actions::create(db, admin, action("Pin the orders query plan", people.priya, -75, ActionKind::Tactical))
        .await?;
    actions::accept(db, &priya, pin.id).await?;
    actions::complete(db, admin, pin.id, "Plan pinned in migration 2026-11-14; p99 back to 310 ms").await?;
    let window = actions::create(
        db,
        admin,
        action("Run statistics refreshes in a change window", people.priya, -4, ActionKind::Systemic),
    )
    .await?;
    actions::accept(db, &priya, window.id).await?;
    let alert =
        actions::create(db, admin, action("Alert on query plan changes", people.marco, 5, ActionKind::Tactical))
            .await?;
    actions::drop(db, admin, alert.id, "Covered by the plan-regression check").await?;
    reviews::submit(db, admin, review.id).await?;
    let published = reviews::publish(db, admin, review.id, None).await?;
    // Three weeks on, the short-term follow-up is held.
    clock.set(published.published_at.unwrap_or(now) + TimeDelta::days(22));
    let follow_up = FollowUpInput {
        kind: FollowUpKind::ShortTerm,
        notes: "The plan check caught one regression in staging; no recurrence.".into(),
        actions_effective: Effectiveness::Partly,
        recurred: false,
    };
    reviews::record_follow_up(db, admin, review.id, follow_up).await?;

    // Today: a SEV2 resolved yesterday; its review is a draft, due tomorrow.
    clock.set(now);
    let started = now - TimeDelta::hours(30);
    let mut failover = declare(platform, "Database failover took 9 minutes", Severity::Sev2, started, false);
    failover.cause = Cause {
        detection_source: Some(DetectionSource::SyntheticCheck),
        change_ref: Some("https://git.example.com/platform/db-config/pull/311".into()),
        triggered_by_change: Some(true),
        change_author_id: Some(Some(people.lee)),
    };
    let failover = incidents::declare(db, admin, failover).await?;
    incidents::set_affected_teams(db, admin, failover.id, vec![payments]).await?;
    incidents::set_tags(db, admin, failover.id, vec!["database".into(), "failover".into()]).await?;
    services::set_for_incident(db, admin, failover.id, vec![orders_db.id]).await?;
    incidents::set_status(
        db,
        admin,
        failover.id,
        IncidentStatus::Resolved,
        Some(started + TimeDelta::minutes(40)),
        None,
    )
    .await?;
    let draft = incidents::review_of(db, failover.id).await?.ok_or_else(|| anyhow::anyhow!("a SEV2 gets a review"))?;
    let runbook = NewAction {
        review_id: draft.id,
        title: "Automate the failover runbook".into(),
        description: None,
        owner_id: people.lee,
        team_id: None,
        due_date: today + TimeDelta::days(30),
        success_metric: "A failover drill completes in under 2 minutes".into(),
        kind: ActionKind::Systemic,
    };
    actions::create(db, admin, runbook).await?;
    // The draft's discussion is under way: a question for the change's author, who has not yet
    // said yes to the action either.
    let question = NewComment {
        body: "Which step of the runbook took the 9 minutes? The timeline jumps from the alert to the promotion."
            .into(),
        location: Some("timeline".into()),
        reply_to: None,
        mention_ids: vec![people.lee],
    };
    reviews::add_comment(db, &person(state, people.sam).await?, draft.id, question).await?;

    // A SEV3 still open, and a mitigated near miss.
    incidents::declare(
        db,
        admin,
        declare(platform, "Flaky deploy pipeline", Severity::Sev3, now - TimeDelta::hours(3), false),
    )
    .await?;
    let cert = incidents::declare(
        db,
        admin,
        declare(payments, "Expiring TLS certificate caught by canary", Severity::Sev2, now - TimeDelta::hours(6), true),
    )
    .await?;
    incidents::set_status(db, admin, cert.id, IncidentStatus::Mitigated, Some(now - TimeDelta::hours(5)), None).await?;
    Ok(())
}
