use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "harvest_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub job_id: Uuid,
    pub asset_id: Option<Uuid>,
    pub expected_kind: String,
    pub expected_model_id: Option<Uuid>,
    pub source: String,
    pub position: String,
    pub ordinal: i32,
    pub test_result: Option<String>,
    pub grade_functional: Option<String>,
    pub grade_cosmetic: Option<String>,
    pub grade_retail: Option<String>,
    pub mass_kg: Option<f64>,
    pub destination: Option<String>,
    pub missing: bool,
    pub recorded_by: Option<String>,
    pub recorded_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
