//! One seeded organization's people and teams: the admin, the members (each in one to three
//! teams), and the accepted invitations they joined with. The organization gets no review
//! policy row, like one created by sign-up: it works with the defaults.

use chrono::{DateTime, TimeDelta, Utc};
use entity::{OrgRole, TeamRole, invitation, membership, organization, service, team, user};
use rand::Rng;
use rand::rngs::SmallRng;
use uuid::Uuid;

use super::rows::Rows;
use super::{id_at, pick, words};
use hindsight_api::auth::secret;
use hindsight_api::domain::validate;

/// How long before the oldest incident the organization was created.
const ORG_LEAD_TIME: TimeDelta = TimeDelta::days(14);

pub(super) struct Person {
    pub id: Uuid,
}

pub(super) struct Team {
    pub id: Uuid,
    /// Leads and members (not viewers): they declare incidents and own actions.
    pub contributors: Vec<usize>,
    pub services: Vec<&'static str>,
    /// The catalog's service of each name in `services` (owned by the first team that runs it).
    pub service_ids: Vec<Uuid>,
    /// The team owning each of `service_ids`.
    pub service_owners: Vec<Uuid>,
}

/// A seeded organization: people (the admin first, then `user1`, `user2`, …) and teams in
/// slug order.
pub(super) struct Org {
    pub number: u32,
    pub id: Uuid,
    pub people: Vec<Person>,
    pub teams: Vec<Team>,
}

pub fn admin_email(org: u32) -> String {
    format!("admin@seed{org}.example")
}

pub fn member_email(org: u32, user: u32) -> String {
    format!("user{user}@seed{org}.example")
}

pub(super) fn org_name(org: u32) -> String {
    let companies = words::COMPANIES;
    format!("{} (seed {org})", companies[(org as usize - 1) % companies.len()])
}

/// The slug sign-up derives from the name.
pub(super) fn org_slug(org: u32) -> String {
    validate::slugify(&org_name(org))
}

fn display_name(index: usize) -> String {
    let (first, last) = (words::FIRST_NAMES, words::LAST_NAMES);
    format!("{} {}", first[index % first.len()], last[(index * 7 + index / first.len()) % last.len()])
}

/// Team names, unique: the vocabulary, then numbered rounds of it.
fn team_names(count: u32) -> Vec<String> {
    (0..count as usize)
        .map(|i| {
            let base = words::TEAMS[i % words::TEAMS.len()];
            match i / words::TEAMS.len() {
                0 => base.to_owned(),
                round => format!("{base} {}", round + 1),
            }
        })
        .collect()
}

impl Org {
    /// Builds organization `number` (1-based) with `teams` teams and `users` members besides the
    /// admin, created before `first_incident`, with its rows.
    pub fn build(
        number: u32,
        teams: u32,
        users: u32,
        password_hash: &str,
        first_incident: DateTime<Utc>,
        rng: &mut SmallRng,
    ) -> (Org, Rows) {
        let mut rows = Rows::default();
        let created_at = first_incident - ORG_LEAD_TIME;
        let org = organization::Model {
            id: id_at(rng, created_at),
            name: org_name(number),
            slug: org_slug(number),
            created_at,
            event_sequence: 0,
        };
        let admin = user::Model {
            id: id_at(rng, created_at),
            organization_id: org.id,
            email: admin_email(number),
            display_name: display_name(number as usize * 13),
            password_hash: password_hash.to_owned(),
            role: OrgRole::Admin,
            active: true,
            token_version: 0,
            created_at,
            updated_at: created_at,
            email_verified_at: Some(created_at),
            notify_nudges: true,
            digest_since: None,
            digest_sent_for: None,
        };
        let mut people = vec![Person { id: admin.id }];
        let mut joined_at_of = Vec::with_capacity(users as usize);
        let mut team_rows = build_teams(org.id, teams, created_at, rng);
        // Members join over the organization's first week, each through an accepted invitation.
        let mut joined: Vec<DateTime<Utc>> =
            (0..users).map(|_| created_at + TimeDelta::minutes(30) + micros(rng, TimeDelta::days(7))).collect();
        joined.sort();
        for (j, joined_at) in joined.into_iter().enumerate() {
            let invited_at = joined_at - TimeDelta::minutes(20) - micros(rng, TimeDelta::hours(4));
            let member = user::Model {
                id: id_at(rng, joined_at),
                organization_id: org.id,
                email: member_email(number, j as u32 + 1),
                display_name: display_name(number as usize * 13 + j + 1),
                password_hash: password_hash.to_owned(),
                role: OrgRole::Member,
                active: true,
                token_version: 0,
                created_at: joined_at,
                updated_at: joined_at,
                email_verified_at: Some(joined_at),
                notify_nudges: true,
                digest_since: None,
                digest_sent_for: None,
            };
            rows.invitations.push(invitation::Model {
                id: id_at(rng, invited_at),
                organization_id: org.id,
                email: member.email.clone(),
                role: OrgRole::Member,
                token_hash: secret::digest(&secret::generate("hsi_")),
                invited_by: admin.id,
                expires_at: invited_at + TimeDelta::days(7),
                accepted_at: Some(joined_at),
                revoked_at: None,
                created_at: invited_at,
            });
            people.push(Person { id: member.id });
            joined_at_of.push(joined_at);
            rows.users.push(member);
        }
        rows.users.insert(0, admin);
        let teams = assign_members(&mut team_rows, &people, &joined_at_of, rng, &mut rows);
        rows.organizations.push(org.clone());
        rows.teams.extend(team_rows);
        (Org { number, id: org.id, people, teams }, rows)
    }

    /// Contributors of team `team`; never empty (every team has a primary member).
    pub fn contributors(&self, team: usize) -> &[usize] {
        &self.teams[team].contributors
    }
}

/// A random duration in `[0, span)`, in whole microseconds.
pub(super) fn micros(rng: &mut SmallRng, span: TimeDelta) -> TimeDelta {
    let span = span.num_microseconds().unwrap_or(i64::MAX).max(1);
    TimeDelta::microseconds(rng.random_range(0..span))
}

/// The teams, in slug order (the order the API lists them in).
fn build_teams(org_id: Uuid, count: u32, created_at: DateTime<Utc>, rng: &mut SmallRng) -> Vec<team::Model> {
    let mut teams: Vec<team::Model> = team_names(count)
        .into_iter()
        .map(|name| {
            let at = created_at + TimeDelta::minutes(5) + micros(rng, TimeDelta::hours(6));
            team::Model {
                id: id_at(rng, at),
                organization_id: org_id,
                slug: validate::slugify(&name),
                name,
                description: None,
                created_at: at,
                updated_at: at,
            }
        })
        .collect();
    teams.sort_by(|a, b| a.slug.cmp(&b.slug));
    teams
}

/// Puts every member in one to three teams. Member `j` (0-based, `user{j+1}`) belongs first
/// to team `j mod T` in slug order: as a MEMBER in the first round (so `user1` is a member of
/// the first team), as a LEAD in the second and sixth rounds, as a MEMBER otherwise. Up to two
/// more teams follow, as MEMBER or VIEWER.
fn assign_members(
    team_rows: &mut [team::Model],
    people: &[Person],
    joined_at: &[DateTime<Utc>],
    rng: &mut SmallRng,
    rows: &mut Rows,
) -> Vec<Team> {
    let count = team_rows.len();
    let mut teams: Vec<Team> = (0..count)
        .map(|t| Team {
            id: team_rows[t].id,
            contributors: Vec::new(),
            services: (0..2 + t % 2).map(|k| words::SERVICES[(t * 3 + k) % words::SERVICES.len()]).collect(),
            service_ids: Vec::new(),
            service_owners: Vec::new(),
        })
        .collect();
    // The catalog: one service per name, owned by the first team that runs it, tier 1 to 4.
    let mut catalog: Vec<service::Model> = Vec::new();
    for (t, team) in teams.iter_mut().enumerate() {
        for name in &team.services {
            let (id, owner) = match catalog.iter().find(|s| s.name == *name) {
                Some(known) => (known.id, known.owner_team_id),
                None => {
                    let created_at = team_rows[t].created_at;
                    let row = service::Model {
                        id: id_at(rng, created_at),
                        organization_id: team_rows[t].organization_id,
                        name: (*name).to_owned(),
                        name_key: name.to_lowercase(),
                        description: None,
                        owner_team_id: team.id,
                        tier: rng.random_range(1..=4),
                        archived_at: None,
                        created_at,
                        updated_at: created_at,
                    };
                    catalog.push(row);
                    (catalog[catalog.len() - 1].id, team.id)
                }
            };
            team.service_ids.push(id);
            team.service_owners.push(owner);
        }
    }
    rows.services.extend(catalog);
    for (t, row) in team_rows.iter_mut().enumerate() {
        row.description = Some(format!("Owns the {}.", teams[t].services.join(" and the ")));
    }
    for (j, person) in people.iter().enumerate().skip(1) {
        let j = j - 1;
        let primary = j % count;
        let role = match j / count {
            1 | 5 => TeamRole::Lead,
            _ => TeamRole::Member,
        };
        let mut memberships = vec![(primary, role)];
        let extra = match rng.random_range(0..100) {
            0..55 => 0,
            55..85 => 1,
            _ => 2,
        };
        for _ in 0..extra.min(count - 1) {
            let other = loop {
                let t = rng.random_range(0..count);
                if memberships.iter().all(|(m, _)| *m != t) {
                    break t;
                }
            };
            let role = if rng.random_bool(0.35) { TeamRole::Viewer } else { TeamRole::Member };
            memberships.push((other, role));
        }
        for (t, role) in memberships {
            let at = joined_at[j] + TimeDelta::minutes(2) + micros(rng, TimeDelta::days(2));
            rows.memberships.push(membership::Model {
                id: id_at(rng, at),
                team_id: teams[t].id,
                user_id: person.id,
                role,
                created_at: at,
                updated_at: at,
            });
            if role != TeamRole::Viewer {
                teams[t].contributors.push(j + 1);
            }
        }
    }
    teams
}

/// Someone from `candidates`, or anyone but the admin when there are none.
pub(super) fn someone(rng: &mut SmallRng, candidates: &[usize], people: usize) -> usize {
    if candidates.is_empty() { rng.random_range(1..people.max(2)) } else { *pick(rng, candidates) }
}
