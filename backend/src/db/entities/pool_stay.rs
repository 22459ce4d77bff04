use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "pool_stays")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub asset_id: Uuid,
    pub active_asset_id: Option<Uuid>,
    pub pool: String,
    pub origin: String,
    pub donor_id: Option<Uuid>,
    pub job_id: Option<Uuid>,
    pub repair_id: Option<Uuid>,
    pub test_result: String,
    pub site_id: Option<Uuid>,
    pub entered_at: DateTimeUtc,
    pub reserved_for: Option<Uuid>,
    pub left_at: Option<DateTimeUtc>,
    pub left_how: Option<String>,
    pub left_into: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
