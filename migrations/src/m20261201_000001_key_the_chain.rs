//! The hash chain becomes keyed and anchorable.
//!
//! - `chain_head.keyed_from_seq`: entries from this position on are linked with
//!   HMAC-SHA-256 under the instance's chain key instead of plain SHA-256 (entries written
//!   before the upgrade keep their SHA-256 links); set once, when an instance first opens
//!   the database with a key.
//! - `chain_head.seal`: an HMAC of the head (position, hash, keyed_from_seq), so a head
//!   edited without the key is detected.
//! - `chain_checkpoints`: verified positions (seq, hash) sealed with the key; verification
//!   can start from the newest one instead of the beginning, and an operator keeps copies
//!   elsewhere to detect a chain cut back to an earlier head.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChainHead {
    Table,
    KeyedFromSeq,
    Seal,
}

#[derive(DeriveIden)]
enum ChainCheckpoints {
    Table,
    Seq,
    Hash,
    Seal,
    CreatedAt,
    CreatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ChainHead::Table)
                    .add_column(ColumnDef::new(ChainHead::KeyedFromSeq).big_integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ChainHead::Table)
                    .add_column(ColumnDef::new(ChainHead::Seal).string_len(64).null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChainCheckpoints::Table)
                    .col(ColumnDef::new(ChainCheckpoints::Seq).big_integer().not_null().primary_key())
                    .col(ColumnDef::new(ChainCheckpoints::Hash).string_len(64).not_null())
                    .col(ColumnDef::new(ChainCheckpoints::Seal).string_len(64).not_null())
                    .col(ColumnDef::new(ChainCheckpoints::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(ChainCheckpoints::CreatedBy).string_len(200).not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ChainCheckpoints::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(ChainHead::Table).drop_column(ChainHead::Seal).to_owned()).await?;
        manager
            .alter_table(Table::alter().table(ChainHead::Table).drop_column(ChainHead::KeyedFromSeq).to_owned())
            .await
    }
}
