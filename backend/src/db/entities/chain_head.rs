use sea_orm::entity::prelude::*;

/// The name of the one head row.
pub const MAIN: &str = "main";

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "chain_head")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub seq: i64,
    pub hash: String,
    /// Entries from this position on are linked with the keyed MAC (None until an instance
    /// first opens the database with its key).
    pub keyed_from_seq: Option<i64>,
    /// The key's MAC over (seq, hash, keyed_from_seq).
    pub seal: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
