use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "repair_orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub asset_id: Uuid,
    pub open_asset_id: Option<Uuid>,
    pub status: String,
    pub fault_category: String,
    pub description: String,
    pub state_before: String,
    pub site_id: Option<Uuid>,
    pub model_id: Option<Uuid>,
    pub technician: String,
    pub labour_minutes: i32,
    pub parts_cost: f64,
    pub outcome: Option<String>,
    pub outcome_note: String,
    pub opened_by: String,
    pub opened_at: DateTimeUtc,
    pub closed_by: Option<String>,
    pub closed_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
