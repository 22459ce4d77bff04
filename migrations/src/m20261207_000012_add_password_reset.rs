//! Accounts for day one: an admin's temporary password that must be changed at the next
//! sign-in (`users.must_change_password`), the time of each account's last sign-in
//! (`users.last_sign_in_at`, written in the sign-in's transaction), and a session's
//! one-time slot (`sessions.once`): what the next page shows once after a redirect (a
//! refused form's values and errors, a new API token's secret sealed with the session's
//! cookie, which the database never holds).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    MustChangePassword,
    LastSignInAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Once,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(ColumnDef::new(Users::MustChangePassword).boolean().not_null().default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(ColumnDef::new(Users::LastSignInAt).timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(ColumnDef::new(Sessions::Once).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Sessions::Table).drop_column(Sessions::Once).to_owned()).await?;
        manager.alter_table(Table::alter().table(Users::Table).drop_column(Users::LastSignInAt).to_owned()).await?;
        manager.alter_table(Table::alter().table(Users::Table).drop_column(Users::MustChangePassword).to_owned()).await
    }
}
