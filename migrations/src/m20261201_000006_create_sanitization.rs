//! Data sanitization: records per device (NIST SP 800-88 / IEEE 2883 vocabulary), batches
//! run at a sanitization station, and a flag for items that hold data although their kind
//! does not say so (a BMC, a RAID controller with cache).
//!
//! Records are insert-only: a sanitization happened or it did not; a mistake is answered
//! by a new record. Each snapshots what its certificate names (tag, serial, make, model,
//! kind, host) so the certificate reads the same after the item is edited.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("assets"))
                    .add_column(col("holds_data").boolean().not_null().default(false))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Alias::new("sanitization_batches"))
                    .col(col("id").uuid().not_null().primary_key())
                    .col(col("method_class").string_len(16).not_null())
                    .col(col("technique").string_len(32).not_null())
                    .col(col("tool").text().not_null())
                    .col(col("tool_version").text().not_null().default(""))
                    .col(col("operator").text().not_null())
                    .col(col("verification").string_len(16).not_null())
                    .col(col("sample_share").double().null())
                    .col(col("site_id").uuid().null())
                    .col(col("status").string_len(16).not_null())
                    .col(col("started_at").timestamp_with_time_zone().not_null())
                    .col(col("closed_at").timestamp_with_time_zone().null())
                    .col(col("created_by").text().not_null())
                    .col(col("version").integer().not_null().default(1))
                    .col(col("created_at").timestamp_with_time_zone().not_null())
                    .col(col("updated_at").timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sanitization_batches_status")
                    .table(Alias::new("sanitization_batches"))
                    .col(Alias::new("status"))
                    .col(Alias::new("id"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Alias::new("sanitization_records"))
                    .col(col("id").uuid().not_null().primary_key())
                    .col(col("asset_id").uuid().not_null())
                    .col(col("host_id").uuid().null())
                    .col(col("batch_id").uuid().null())
                    .col(col("certificate_id").text().not_null())
                    .col(col("device_tag").text().not_null())
                    .col(col("device_serial").text().not_null().default(""))
                    .col(col("device_make").text().not_null().default(""))
                    .col(col("device_model").text().not_null().default(""))
                    .col(col("device_kind").string_len(16).not_null())
                    .col(col("host_tag").text().not_null().default(""))
                    .col(col("method_class").string_len(16).not_null())
                    .col(col("technique").string_len(32).not_null())
                    .col(col("tool").text().not_null())
                    .col(col("tool_version").text().not_null().default(""))
                    .col(col("operator").text().not_null())
                    .col(col("started_at").timestamp_with_time_zone().not_null())
                    .col(col("ended_at").timestamp_with_time_zone().not_null())
                    .col(col("verification").string_len(16).not_null())
                    .col(col("sample_share").double().null())
                    .col(col("result").string_len(16).not_null())
                    .col(col("notes").text().not_null().default(""))
                    .col(col("recorded_by").text().not_null())
                    .col(col("created_at").timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sanitization_records_asset")
                            .from(Alias::new("sanitization_records"), Alias::new("asset_id"))
                            .to(Alias::new("assets"), Alias::new("id"))
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            ("ux_sanitization_records_certificate", &["certificate_id"][..], true),
            ("ix_sanitization_records_asset", &["asset_id", "id"][..], false),
            ("ix_sanitization_records_batch", &["batch_id", "id"][..], false),
        ] {
            let mut i = Index::create();
            i.name(name).table(Alias::new("sanitization_records"));
            for c in cols {
                i.col(Alias::new(*c));
            }
            if unique {
                i.unique();
            }
            manager.create_index(i.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["sanitization_records", "sanitization_batches"] {
            manager.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        manager
            .alter_table(Table::alter().table(Alias::new("assets")).drop_column(Alias::new("holds_data")).to_owned())
            .await
    }
}
