//! A recovery report keeps the estimate it was set against: `expected`, a JSON object with
//! the expected content and recovery per material (with the factors' sources and the
//! items' masses as they were when the report was entered) and the mass the estimate could
//! not profile. A later change to a factor or a model's mass then changes the estimates of
//! lots still open, never the figures of a lot already reported on.
//!
//! Nullable: reports entered before this migration have no frozen estimate; their page
//! keeps showing the estimate from the factors in force, and says so.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RecoveryReports {
    Table,
    Expected,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RecoveryReports::Table)
                    .add_column(ColumnDef::new(RecoveryReports::Expected).json_binary().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(RecoveryReports::Table).drop_column(RecoveryReports::Expected).to_owned())
            .await
    }
}
