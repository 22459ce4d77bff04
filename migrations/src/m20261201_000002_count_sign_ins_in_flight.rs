//! Sign-in throttling counts attempts in flight: an attempt takes a slot before its
//! password is checked (`pending`), and gives it back when it ends (a failure then counts
//! in `failures`). The limit applies to failures and attempts in flight together, so a
//! burst of simultaneous attempts cannot outrun it, and a success frees only its own slot.
//! `pending_since` lets a slot taken by a process that died be reclaimed.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    Pending,
    PendingSince,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(LoginThrottle::Table)
                    .add_column(ColumnDef::new(LoginThrottle::Pending).integer().not_null().default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(LoginThrottle::Table)
                    .add_column(ColumnDef::new(LoginThrottle::PendingSince).timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(LoginThrottle::Table).drop_column(LoginThrottle::PendingSince).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table(LoginThrottle::Table).drop_column(LoginThrottle::Pending).to_owned())
            .await
    }
}
