//! End of life: downstream vendors (with their certifications as a JSON array), recycling
//! lots with the items they hold, each lot's append-only chain of custody and its recovery
//! report, and the reference factors an admin has edited (material content per kg of an
//! item, recovery yields per treatment route).
//!
//! "An item is in at most one lot" is a unique index on `included_asset_id`, which holds the
//! item's id while it is in a lot (NULL once removed from an open lot), as the bench does
//! for open orders and pool stays. Custody entries are numbered per lot (unique
//! `(lot_id, ordinal)`) and only ever inserted; a lot has at most one recovery report.

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
    ColumnDef::new(Alias::new(name)).string_len(64).not_null().to_owned()
}
fn opt_word(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).string_len(64).null().to_owned()
}
fn kg(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).double().null().to_owned()
}
fn date(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).date().null().to_owned()
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
        // --- downstream vendors ----------------------------------------------------------
        let mut t = Table::create();
        t.table(Alias::new("downstream_vendors"))
            .col(id("id"))
            .col(text("name"))
            .col(text("name_key"))
            .col(ColumnDef::new(Alias::new("country")).string_len(2).not_null())
            .col(text("address"))
            .col(word("role"))
            .col(ColumnDef::new(Alias::new("certifications")).json_binary().not_null().default("[]"))
            .col(text("notes"));
        versioned(&mut t);
        manager.create_table(t).await?;
        index(manager, "ux_downstream_vendors_name_key", "downstream_vendors", &["name_key"], true).await?;

        // --- recycling lots --------------------------------------------------------------
        let mut t = Table::create();
        t.table(Alias::new("recycling_lots"))
            .col(id("id"))
            .col(text("reference"))
            .col(word("status"))
            .col(uuid("vendor_id", true))
            .col(opt_word("route"))
            .col(date("planned_ship_on"))
            .col(date("shipped_on"))
            .col(opt_text("shipped_by"))
            .col(at("shipped_at", true))
            .col(kg("gross_kg"))
            .col(kg("tare_kg"))
            .col(text("transport_doc"))
            .col(ColumnDef::new(Alias::new("hazardous")).boolean().null())
            .col(text("export_override_reason"))
            .col(opt_text("vendor_accepted_by"))
            .col(kg("registered_kg"))
            .col(ColumnDef::new(Alias::new("contents_count")).integer().null())
            .col(text("note"))
            .col(text("created_by"))
            .col(at("recovered_at", true));
        versioned(&mut t);
        fk(&mut t, "fk_recycling_lots_vendor", "recycling_lots", "vendor_id", "downstream_vendors");
        manager.create_table(t).await?;
        index(manager, "ix_recycling_lots_status", "recycling_lots", &["status", "id"], false).await?;
        index(manager, "ix_recycling_lots_vendor", "recycling_lots", &["vendor_id", "id"], false).await?;

        let mut t = Table::create();
        t.table(Alias::new("recycling_lot_items"))
            .col(id("id"))
            .col(uuid("lot_id", false))
            .col(uuid("asset_id", false))
            .col(uuid("included_asset_id", true))
            .col(text("added_by"))
            .col(at("added_at", false))
            .col(opt_text("removed_by"))
            .col(at("removed_at", true));
        versioned(&mut t);
        fk(&mut t, "fk_recycling_lot_items_lot", "recycling_lot_items", "lot_id", "recycling_lots");
        fk(&mut t, "fk_recycling_lot_items_asset", "recycling_lot_items", "asset_id", "assets");
        manager.create_table(t).await?;
        index(manager, "ux_recycling_lot_items_included", "recycling_lot_items", &["included_asset_id"], true).await?;
        index(manager, "ix_recycling_lot_items_lot", "recycling_lot_items", &["lot_id", "id"], false).await?;
        index(manager, "ix_recycling_lot_items_asset", "recycling_lot_items", &["asset_id", "id"], false).await?;

        // --- chain of custody (insert only) --------------------------------------------
        let mut t = Table::create();
        t.table(Alias::new("custody_events"))
            .col(id("id"))
            .col(uuid("lot_id", false))
            .col(ColumnDef::new(Alias::new("ordinal")).integer().not_null())
            .col(text("handed_over_by"))
            .col(text("received_by"))
            .col(text("organisation"))
            .col(text("place"))
            .col(at("occurred_at", false))
            .col(text("note"))
            .col(text("recorded_by"))
            .col(at("created_at", false));
        fk(&mut t, "fk_custody_events_lot", "custody_events", "lot_id", "recycling_lots");
        manager.create_table(t).await?;
        index(manager, "ux_custody_events_lot_ordinal", "custody_events", &["lot_id", "ordinal"], true).await?;

        // --- recovery reports (one per lot, insert only) ------------------------------------
        let mut t = Table::create();
        t.table(Alias::new("recovery_reports"))
            .col(id("id"))
            .col(uuid("lot_id", false))
            .col(text("certificate_id"))
            .col(ColumnDef::new(Alias::new("certificate_date")).date().not_null())
            .col(ColumnDef::new(Alias::new("materials")).json_binary().not_null().default("[]"))
            .col(ColumnDef::new(Alias::new("energy_recovery_kg")).double().not_null().default(0.0))
            .col(ColumnDef::new(Alias::new("disposal_kg")).double().not_null().default(0.0))
            .col(text("note"))
            .col(text("entered_by"))
            .col(at("created_at", false));
        fk(&mut t, "fk_recovery_reports_lot", "recovery_reports", "lot_id", "recycling_lots");
        manager.create_table(t).await?;
        index(manager, "ux_recovery_reports_lot", "recovery_reports", &["lot_id"], true).await?;

        // --- reference factors an admin has set ---------------------------------------------
        let mut t = Table::create();
        t.table(Alias::new("recycling_factors"))
            .col(id("id"))
            .col(word("kind"))
            .col(word("subject"))
            .col(word("material"))
            .col(ColumnDef::new(Alias::new("value")).double().not_null())
            .col(text("source"))
            .col(text("edited_by"));
        versioned(&mut t);
        manager.create_table(t).await?;
        index(manager, "ux_recycling_factors_key", "recycling_factors", &["kind", "subject", "material"], true).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "recycling_factors",
            "recovery_reports",
            "custody_events",
            "recycling_lot_items",
            "recycling_lots",
            "downstream_vendors",
        ] {
            manager.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
