//! The policy engine's records: every saved version of the policy pack (insert-only,
//! numbered), the runs that evaluated the fleet with one of them, and each run's rows for
//! the items it found due (the fleet page reads the latest finished run).
//!
//! A run's rows are written in chunks before the run is marked finished, so a page never
//! reads a half-written run; rows of older runs are deleted once a newer run has finished
//! (they are derived figures, not records: the ledger entry of an accepted suggestion names
//! the policy version that made it).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}

async fn index(manager: &SchemaManager<'_>, name: &str, table: &str, cols: &[&str], unique: bool) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table));
    for c in cols {
        i.col(Alias::new(*c));
    }
    if unique {
        i.unique();
    }
    manager.create_index(i.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("policy_versions"))
                    .col(col("id").uuid().not_null().primary_key())
                    .col(col("number").integer().not_null())
                    .col(col("name").text().not_null())
                    .col(col("source").text().not_null())
                    .col(col("note").text().not_null().default(""))
                    .col(col("saved_by").uuid().null())
                    .col(col("saved_by_name").text().not_null().default(""))
                    .col(col("saved_at").timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_policy_versions_saved_by")
                            .from(Alias::new("policy_versions"), Alias::new("saved_by"))
                            .to(Alias::new("users"), Alias::new("id"))
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, "ux_policy_versions_number", "policy_versions", &["number"], true).await?;

        manager
            .create_table(
                Table::create()
                    .table(Alias::new("policy_runs"))
                    .col(col("id").uuid().not_null().primary_key())
                    .col(col("policy_number").integer().not_null())
                    .col(col("started_at").timestamp_with_time_zone().not_null())
                    .col(col("finished_at").timestamp_with_time_zone().null())
                    .col(col("evaluated").big_integer().not_null().default(0))
                    .col(col("due").big_integer().not_null().default(0))
                    .col(col("totals").json_binary().not_null())
                    .col(col("trigger").string_len(64).not_null())
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_policy_runs_started", "policy_runs", &["started_at", "id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(Alias::new("policy_suggestions"))
                    .col(col("run_id").uuid().not_null())
                    .col(col("asset_id").uuid().not_null())
                    .col(col("asset_version").integer().not_null())
                    .col(col("asset_tag").text().not_null())
                    .col(col("kind").string_len(64).not_null())
                    .col(col("state").string_len(64).not_null())
                    .col(col("site_id").uuid().null())
                    .col(col("model_id").uuid().null())
                    .col(col("age_years").double().null())
                    .col(col("failures").integer().not_null().default(0))
                    .col(col("support_ends_on").date().null())
                    .col(col("due_reasons").string_len(255).not_null())
                    .col(col("disposition").string_len(64).null())
                    .col(col("tier").string_len(64).null())
                    .col(col("target_site_id").uuid().null())
                    .col(col("score").double().null())
                    .col(col("extra_life_years").double().null())
                    .col(col("deferred_kg").double().null())
                    .col(col("avoided_kgco2e").double().null())
                    .col(col("payback_years").double().null())
                    .col(col("rules").text().not_null().default(""))
                    .primary_key(Index::create().col(Alias::new("run_id")).col(Alias::new("asset_id")))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_policy_suggestions_run")
                            .from(Alias::new("policy_suggestions"), Alias::new("run_id"))
                            .to(Alias::new("policy_runs"), Alias::new("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_policy_suggestions_disposition",
            "policy_suggestions",
            &["run_id", "disposition", "asset_id"],
            false,
        )
        .await?;
        index(manager, "ix_policy_suggestions_kind", "policy_suggestions", &["run_id", "kind", "asset_id"], false)
            .await?;
        index(manager, "ix_policy_suggestions_site", "policy_suggestions", &["run_id", "site_id", "asset_id"], false)
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["policy_suggestions", "policy_runs", "policy_versions"] {
            manager.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
