//! Accounts, sessions, API tokens, login throttling and the tamper-evident audit trail.
//!
//! The audit trail and the lifecycle ledger share one hash chain: every entry of either
//! table takes the next `seq` from `chain_head` and stores the SHA-256 of the previous
//! entry's hash and its own canonical content. Ledger rows written before this migration
//! have no `seq` yet; the application seals them into the chain on start-up.

use sea_orm_migration::prelude::*;

use crate::bytewise_text;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    UsernameKey,
    DisplayName,
    Role,
    Active,
    PasswordHash,
    PasswordChangedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    IdHash,
    UserId,
    CsrfToken,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    UserAgent,
    Ip,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    Name,
    TokenHash,
    Prefix,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    Key,
    Failures,
    FirstFailureAt,
    LastFailureAt,
    LockedUntil,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    Seq,
    OccurredAt,
    ActorId,
    ActorName,
    Action,
    TargetType,
    TargetId,
    Before,
    After,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum ChainHead {
    Table,
    Name,
    Seq,
    Hash,
}

#[derive(DeriveIden)]
enum LifecycleEvents {
    Table,
    Seq,
    ActorId,
    PrevHash,
    Hash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut username_key = ColumnDef::new(Users::UsernameKey);
        username_key.text().not_null();
        bytewise_text(manager, &mut username_key);
        let mut t = Table::create();
        t.table(Users::Table)
            .col(ColumnDef::new(Users::Id).uuid().not_null().primary_key())
            .col(ColumnDef::new(Users::Username).text().not_null())
            .col(username_key)
            .col(ColumnDef::new(Users::DisplayName).text().not_null().default(""))
            .col(ColumnDef::new(Users::Role).string_len(24).not_null())
            .col(ColumnDef::new(Users::Active).boolean().not_null().default(true))
            .col(ColumnDef::new(Users::PasswordHash).text().not_null())
            .col(ColumnDef::new(Users::PasswordChangedAt).timestamp_with_time_zone().not_null())
            .col(ColumnDef::new(Alias::new("version")).integer().not_null().default(1))
            .col(ColumnDef::new(Alias::new("created_at")).timestamp_with_time_zone().not_null())
            .col(ColumnDef::new(Alias::new("updated_at")).timestamp_with_time_zone().not_null());
        manager.create_table(t).await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_users_username_key")
                    .table(Users::Table)
                    .col(Users::UsernameKey)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    // Only the SHA-256 of the cookie value is stored: a copy of the
                    // database does not hand out live sessions.
                    .col(ColumnDef::new(Sessions::IdHash).string_len(64).not_null().primary_key())
                    .col(ColumnDef::new(Sessions::UserId).uuid().not_null())
                    .col(ColumnDef::new(Sessions::CsrfToken).string_len(64).not_null())
                    .col(ColumnDef::new(Sessions::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Sessions::LastSeenAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Sessions::ExpiresAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Sessions::UserAgent).text().not_null().default(""))
                    .col(ColumnDef::new(Sessions::Ip).text().not_null().default(""))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sessions_user")
                            .from(Sessions::Table, Sessions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_sessions_user").table(Sessions::Table).col(Sessions::UserId).to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(ColumnDef::new(ApiTokens::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(ApiTokens::UserId).uuid().not_null())
                    .col(ColumnDef::new(ApiTokens::Name).text().not_null())
                    .col(ColumnDef::new(ApiTokens::TokenHash).string_len(64).not_null())
                    .col(ColumnDef::new(ApiTokens::Prefix).string_len(16).not_null())
                    .col(ColumnDef::new(ApiTokens::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(ApiTokens::ExpiresAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(ApiTokens::LastUsedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(ApiTokens::RevokedAt).timestamp_with_time_zone().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_tokens_user")
                            .from(ApiTokens::Table, ApiTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_api_tokens_hash")
                    .table(ApiTokens::Table)
                    .col(ApiTokens::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_api_tokens_user")
                    .table(ApiTokens::Table)
                    .col(ApiTokens::UserId)
                    .col(ApiTokens::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoginThrottle::Table)
                    .col(ColumnDef::new(LoginThrottle::Key).string_len(300).not_null().primary_key())
                    .col(ColumnDef::new(LoginThrottle::Failures).integer().not_null())
                    .col(ColumnDef::new(LoginThrottle::FirstFailureAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(LoginThrottle::LastFailureAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(LoginThrottle::LockedUntil).timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(ColumnDef::new(AuditLog::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(AuditLog::Seq).big_integer().not_null())
                    .col(ColumnDef::new(AuditLog::OccurredAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(AuditLog::ActorId).uuid().null())
                    .col(ColumnDef::new(AuditLog::ActorName).text().not_null())
                    .col(ColumnDef::new(AuditLog::Action).string_len(64).not_null())
                    .col(ColumnDef::new(AuditLog::TargetType).string_len(32).not_null())
                    .col(ColumnDef::new(AuditLog::TargetId).text().not_null())
                    .col(ColumnDef::new(AuditLog::Before).json_binary().null())
                    .col(ColumnDef::new(AuditLog::After).json_binary().null())
                    .col(ColumnDef::new(AuditLog::PrevHash).string_len(64).not_null())
                    .col(ColumnDef::new(AuditLog::Hash).string_len(64).not_null())
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ux_audit_seq", vec![AuditLog::Seq]),
            ("ix_audit_target", vec![AuditLog::TargetType, AuditLog::TargetId, AuditLog::Seq]),
            ("ix_audit_actor", vec![AuditLog::ActorName, AuditLog::Seq]),
            ("ix_audit_action", vec![AuditLog::Action, AuditLog::Seq]),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(AuditLog::Table);
            for c in cols {
                idx.col(c);
            }
            if name.starts_with("ux_") {
                idx.unique();
            }
            manager.create_index(idx.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ChainHead::Table)
                    .col(ColumnDef::new(ChainHead::Name).string_len(32).not_null().primary_key())
                    .col(ColumnDef::new(ChainHead::Seq).big_integer().not_null())
                    .col(ColumnDef::new(ChainHead::Hash).string_len(64).not_null())
                    .to_owned(),
            )
            .await?;
        // The chain starts at seq 0 with an all-zero hash.
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(ChainHead::Table)
                    .columns([ChainHead::Name, ChainHead::Seq, ChainHead::Hash])
                    .values_panic(["main".into(), 0i64.into(), "0".repeat(64).into()])
                    .to_owned(),
            )
            .await?;

        // The ledger joins the chain. SQLite adds one column per ALTER.
        for col in [
            ColumnDef::new(LifecycleEvents::Seq).big_integer().null().to_owned(),
            ColumnDef::new(LifecycleEvents::ActorId).uuid().null().to_owned(),
            ColumnDef::new(LifecycleEvents::PrevHash).string_len(64).null().to_owned(),
            ColumnDef::new(LifecycleEvents::Hash).string_len(64).null().to_owned(),
        ] {
            manager.alter_table(Table::alter().table(LifecycleEvents::Table).add_column(col).to_owned()).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ux_events_seq")
                    .table(LifecycleEvents::Table)
                    .col(LifecycleEvents::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ux_events_seq").table(LifecycleEvents::Table).to_owned()).await?;
        for col in [LifecycleEvents::Hash, LifecycleEvents::PrevHash, LifecycleEvents::ActorId, LifecycleEvents::Seq] {
            manager.alter_table(Table::alter().table(LifecycleEvents::Table).drop_column(col).to_owned()).await?;
        }
        for t in [
            ChainHead::Table.into_iden(),
            AuditLog::Table.into_iden(),
            LoginThrottle::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
