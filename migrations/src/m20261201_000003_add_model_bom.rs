//! A catalog model's bill of materials: what a complete item of the model contains, as a
//! JSON array of `{kind, model_id, count}` lines. Existing models get an empty one.
//!
//! The default is the text `'[]'`, which both databases take for this column: SQLite
//! stores JSON as text (`jsonb_text` has text affinity), and PostgreSQL casts the literal
//! to `jsonb`. Adding a NOT NULL column with a constant default is allowed on both and
//! fills the existing rows.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum HardwareModels {
    Table,
    Bom,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(HardwareModels::Table)
                    .add_column(ColumnDef::new(HardwareModels::Bom).json_binary().not_null().default("[]"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(HardwareModels::Table).drop_column(HardwareModels::Bom).to_owned())
            .await
    }
}
