//! reloop's schema, as an append-only list of migrations.
//!
//! Invariants:
//! - A migration that has shipped is never edited: change the schema with a new file.
//! - One migration per file, named `mYYYYMMDD_HHMMSS_verb_noun.rs` (`DeriveMigrationName`
//!   takes the name from the file).
//! - Every migration runs inside a transaction on both SQLite and PostgreSQL, so a failed
//!   migration leaves nothing half-applied.
//! - This crate knows nothing of the backend crate; it speaks sea-query, and SQL only for
//!   what sea-query cannot say (triggers, FTS5, extensions: the asset search).

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_create_registry;
mod m20261129_000002_create_accounts_audit;
mod m20261201_000001_key_the_chain;
mod m20261201_000002_count_sign_ins_in_flight;
mod m20261201_000003_add_model_bom;
mod m20261201_000004_create_bench;
mod m20261201_000006_create_sanitization;
mod m20261201_000007_create_end_of_life;
mod m20261201_000008_freeze_recovery_estimate;
mod m20261201_000009_create_policy;
mod m20261207_000010_create_fleet_counts;
mod m20261207_000011_create_asset_search;
mod m20261207_000012_add_password_reset;
mod m20261207_000013_index_audit_target;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_create_registry::Migration),
            Box::new(m20261129_000002_create_accounts_audit::Migration),
            Box::new(m20261201_000001_key_the_chain::Migration),
            Box::new(m20261201_000002_count_sign_ins_in_flight::Migration),
            Box::new(m20261201_000003_add_model_bom::Migration),
            Box::new(m20261201_000004_create_bench::Migration),
            Box::new(m20261201_000006_create_sanitization::Migration),
            Box::new(m20261201_000007_create_end_of_life::Migration),
            Box::new(m20261201_000008_freeze_recovery_estimate::Migration),
            Box::new(m20261201_000009_create_policy::Migration),
            Box::new(m20261207_000010_create_fleet_counts::Migration),
            Box::new(m20261207_000011_create_asset_search::Migration),
            Box::new(m20261207_000012_add_password_reset::Migration),
            Box::new(m20261207_000013_index_audit_target::Migration),
        ]
    }
}

/// Text columns that are compared by byte order (prefix searches use `>=`/`<` ranges).
/// PostgreSQL's default collation is linguistic, which breaks such ranges; SQLite's
/// default (BINARY) is already bytewise.
pub(crate) fn bytewise_text(manager: &SchemaManager, col: &mut ColumnDef) {
    if manager.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres {
        col.extra("COLLATE \"C\"");
    }
}
