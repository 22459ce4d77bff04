use sea_orm::entity::prelude::*;

/// One hand-off in a lot's chain of custody (rows are only ever inserted).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "custody_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub lot_id: Uuid,
    pub ordinal: i32,
    pub handed_over_by: String,
    pub received_by: String,
    pub organisation: String,
    pub place: String,
    pub occurred_at: DateTimeUtc,
    pub note: String,
    pub recorded_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
