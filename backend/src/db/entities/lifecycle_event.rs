use sea_orm::entity::prelude::*;

/// `Serialize` gives the batched append on PostgreSQL its rows as JSON, one key per column
/// (`ledger::events`).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "lifecycle_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub asset_id: Uuid,
    pub kind: String,
    pub from_value: Option<String>,
    pub to_value: Option<String>,
    pub related_asset_id: Option<Uuid>,
    pub actor: String,
    pub reason: String,
    pub payload: Json,
    pub occurred_at: DateTimeUtc,
    /// Position in the shared hash chain (None only until start-up seals old rows).
    pub seq: Option<i64>,
    pub actor_id: Option<Uuid>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
