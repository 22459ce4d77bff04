use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sanitization_batches")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub method_class: String,
    pub technique: String,
    pub tool: String,
    pub tool_version: String,
    pub operator: String,
    pub verification: String,
    pub sample_share: Option<f64>,
    pub site_id: Option<Uuid>,
    pub status: String,
    pub started_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
    pub created_by: String,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
