//! The refurbisher's bench: repair orders (with their notes and parts), dismantle jobs
//! with one line per expected part, and the pool stays of parts waiting for reuse,
//! resale or recycling.
//!
//! "One open repair (or dismantle job) per item" and "one pool stay at a time per part"
//! are unique indexes on a column that holds the item's id only while the order, job or
//! stay is open (NULL afterwards): both databases allow any number of NULLs in a unique
//! index, so the rule holds under concurrent writers without partial indexes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn id(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).uuid().not_null().primary_key().to_owned()
}
fn uuid(name: &str, null: bool) -> ColumnDef {
    let mut c = ColumnDef::new(Alias::new(name));
    c.uuid();
    if null {
        c.null()
    } else {
        c.not_null()
    };
    c
}
fn text(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).text().not_null().default("").to_owned()
}
fn opt_text(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).text().null().to_owned()
}
fn word(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).string_len(32).not_null().to_owned()
}
fn opt_word(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).string_len(32).null().to_owned()
}
fn at(name: &str, null: bool) -> ColumnDef {
    let mut c = ColumnDef::new(Alias::new(name));
    c.timestamp_with_time_zone();
    if null {
        c.null()
    } else {
        c.not_null()
    };
    c
}
fn versioned(t: &mut TableCreateStatement) {
    t.col(ColumnDef::new(Alias::new("version")).integer().not_null().default(1))
        .col(at("created_at", false))
        .col(at("updated_at", false));
}
fn fk(t: &mut TableCreateStatement, name: &str, table: &str, col: &str, to: &str) {
    t.foreign_key(
        ForeignKey::create()
            .name(name)
            .from(Alias::new(table), Alias::new(col))
            .to(Alias::new(to), Alias::new("id"))
            .on_delete(ForeignKeyAction::Restrict),
    );
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
        // --- repair orders -------------------------------------------------------------
        let mut t = Table::create();
        t.table(Alias::new("repair_orders"))
            .col(id("id"))
            .col(uuid("asset_id", false))
            .col(uuid("open_asset_id", true))
            .col(word("status"))
            .col(word("fault_category"))
            .col(text("description"))
            .col(word("state_before"))
            .col(uuid("site_id", true))
            .col(uuid("model_id", true))
            .col(text("technician"))
            .col(ColumnDef::new(Alias::new("labour_minutes")).integer().not_null().default(0))
            .col(ColumnDef::new(Alias::new("parts_cost")).double().not_null().default(0.0))
            .col(opt_word("outcome"))
            .col(text("outcome_note"))
            .col(text("opened_by"))
            .col(at("opened_at", false))
            .col(opt_text("closed_by"))
            .col(at("closed_at", true));
        versioned(&mut t);
        fk(&mut t, "fk_repair_orders_asset", "repair_orders", "asset_id", "assets");
        manager.create_table(t).await?;
        index(manager, "ux_repair_orders_open_asset", "repair_orders", &["open_asset_id"], true).await?;
        index(manager, "ix_repair_orders_asset", "repair_orders", &["asset_id", "id"], false).await?;
        index(manager, "ix_repair_orders_status", "repair_orders", &["status", "id"], false).await?;

        let mut t = Table::create();
        t.table(Alias::new("repair_notes"))
            .col(id("id"))
            .col(uuid("repair_id", false))
            .col(text("author"))
            .col(text("body"))
            .col(at("created_at", false));
        fk(&mut t, "fk_repair_notes_repair", "repair_notes", "repair_id", "repair_orders");
        manager.create_table(t).await?;
        index(manager, "ix_repair_notes_repair", "repair_notes", &["repair_id", "id"], false).await?;

        let mut t = Table::create();
        t.table(Alias::new("repair_parts"))
            .col(id("id"))
            .col(uuid("repair_id", false))
            .col(uuid("asset_id", false))
            .col(word("action"))
            .col(uuid("parent_id", false))
            .col(opt_word("destination"))
            .col(opt_word("origin"))
            .col(text("actor"))
            .col(at("created_at", false));
        fk(&mut t, "fk_repair_parts_repair", "repair_parts", "repair_id", "repair_orders");
        fk(&mut t, "fk_repair_parts_asset", "repair_parts", "asset_id", "assets");
        manager.create_table(t).await?;
        index(manager, "ix_repair_parts_repair", "repair_parts", &["repair_id", "id"], false).await?;
        index(manager, "ix_repair_parts_asset", "repair_parts", &["asset_id", "id"], false).await?;

        // --- dismantle jobs and their lines ---------------------------------------------
        let mut t = Table::create();
        t.table(Alias::new("dismantle_jobs"))
            .col(id("id"))
            .col(uuid("asset_id", false))
            .col(uuid("open_asset_id", true))
            .col(word("status"))
            .col(uuid("site_id", true))
            .col(uuid("repair_id", true))
            .col(text("note"))
            .col(text("opened_by"))
            .col(at("opened_at", false))
            .col(opt_text("closed_by"))
            .col(at("closed_at", true));
        versioned(&mut t);
        fk(&mut t, "fk_dismantle_jobs_asset", "dismantle_jobs", "asset_id", "assets");
        manager.create_table(t).await?;
        index(manager, "ux_dismantle_jobs_open_asset", "dismantle_jobs", &["open_asset_id"], true).await?;
        index(manager, "ix_dismantle_jobs_asset", "dismantle_jobs", &["asset_id", "id"], false).await?;
        index(manager, "ix_dismantle_jobs_status", "dismantle_jobs", &["status", "id"], false).await?;
        index(manager, "ix_dismantle_jobs_closed", "dismantle_jobs", &["closed_at"], false).await?;

        let mut t = Table::create();
        t.table(Alias::new("harvest_lines"))
            .col(id("id"))
            .col(uuid("job_id", false))
            .col(uuid("asset_id", true))
            .col(word("expected_kind"))
            .col(uuid("expected_model_id", true))
            .col(word("source"))
            .col(text("position"))
            .col(ColumnDef::new(Alias::new("ordinal")).integer().not_null().default(0))
            .col(opt_word("test_result"))
            .col(ColumnDef::new(Alias::new("grade_functional")).string_len(4).null())
            .col(ColumnDef::new(Alias::new("grade_cosmetic")).string_len(4).null())
            .col(ColumnDef::new(Alias::new("grade_retail")).string_len(4).null())
            .col(ColumnDef::new(Alias::new("mass_kg")).double().null())
            .col(opt_word("destination"))
            .col(ColumnDef::new(Alias::new("missing")).boolean().not_null().default(false))
            .col(opt_text("recorded_by"))
            .col(at("recorded_at", true));
        versioned(&mut t);
        fk(&mut t, "fk_harvest_lines_job", "harvest_lines", "job_id", "dismantle_jobs");
        fk(&mut t, "fk_harvest_lines_asset", "harvest_lines", "asset_id", "assets");
        manager.create_table(t).await?;
        index(manager, "ux_harvest_lines_job_asset", "harvest_lines", &["job_id", "asset_id"], true).await?;
        index(manager, "ix_harvest_lines_job", "harvest_lines", &["job_id", "ordinal", "id"], false).await?;
        index(manager, "ix_harvest_lines_asset", "harvest_lines", &["asset_id"], false).await?;

        // --- pool stays --------------------------------------------------------------
        let mut t = Table::create();
        t.table(Alias::new("pool_stays"))
            .col(id("id"))
            .col(uuid("asset_id", false))
            .col(uuid("active_asset_id", true))
            .col(word("pool"))
            .col(word("origin"))
            .col(uuid("donor_id", true))
            .col(uuid("job_id", true))
            .col(uuid("repair_id", true))
            .col(word("test_result"))
            .col(uuid("site_id", true))
            .col(at("entered_at", false))
            .col(uuid("reserved_for", true))
            .col(at("left_at", true))
            .col(opt_word("left_how"))
            .col(uuid("left_into", true));
        versioned(&mut t);
        fk(&mut t, "fk_pool_stays_asset", "pool_stays", "asset_id", "assets");
        manager.create_table(t).await?;
        index(manager, "ux_pool_stays_active_asset", "pool_stays", &["active_asset_id"], true).await?;
        index(manager, "ix_pool_stays_pool", "pool_stays", &["pool", "left_at", "id"], false).await?;
        index(manager, "ix_pool_stays_asset", "pool_stays", &["asset_id", "id"], false).await?;
        index(manager, "ix_pool_stays_reserved", "pool_stays", &["reserved_for"], false).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["pool_stays", "harvest_lines", "dismantle_jobs", "repair_parts", "repair_notes", "repair_orders"] {
            manager.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
