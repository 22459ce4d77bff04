use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sanitization_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub asset_id: Uuid,
    pub host_id: Option<Uuid>,
    pub batch_id: Option<Uuid>,
    pub certificate_id: String,
    pub device_tag: String,
    pub device_serial: String,
    pub device_make: String,
    pub device_model: String,
    pub device_kind: String,
    pub host_tag: String,
    pub method_class: String,
    pub technique: String,
    pub tool: String,
    pub tool_version: String,
    pub operator: String,
    pub started_at: DateTimeUtc,
    pub ended_at: DateTimeUtc,
    pub verification: String,
    pub sample_share: Option<f64>,
    pub result: String,
    pub notes: String,
    pub recorded_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
