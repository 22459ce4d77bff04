//! An item's field edits are read beside its ledger entries, newest first by entry id (both
//! are UUIDv7): an index on the trail's target ending in `id`, so an item's page reads only
//! its own entries whatever the size of the trail. (`ix_audit_target` ends in `seq`, the
//! trail's own order, which the ledger does not share.)

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    TargetType,
    TargetId,
    Id,
}

const NAME: &str = "ix_audit_target_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(AuditLog::Table)
                    .col(AuditLog::TargetType)
                    .col(AuditLog::TargetId)
                    .col(AuditLog::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(NAME).table(AuditLog::Table).to_owned()).await
    }
}
