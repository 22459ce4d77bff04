use sea_orm::entity::prelude::*;

/// One saved version of the policy pack (rows are only ever inserted; the highest number
/// is the policy in force).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "policy_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub number: i32,
    pub name: String,
    /// The pack's TOML text as saved.
    pub source: String,
    pub note: String,
    pub saved_by: Option<Uuid>,
    pub saved_by_name: String,
    pub saved_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
