//! Overdue actions come soonest due first from an index of the live (open or in-progress)
//! actions alone: a page of fifty is fifty index entries, however many actions are done.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The predicate every query for live actions spells out literally, so both databases use
/// these partial indexes.
const LIVE: &str = "status IN ('OPEN', 'IN_PROGRESS')";

const INDEXES: [(&str, &str); 3] = [
    ("idx_action_live_org_due", "organization_id, due_date, id"),
    ("idx_action_live_team_due", "team_id, due_date, id"),
    ("idx_action_live_owner_due", "owner_id, due_date, id"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, columns) in INDEXES {
            db.execute_unprepared(&format!("CREATE INDEX {name} ON action ({columns}) WHERE {LIVE}")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, _) in INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        Ok(())
    }
}
