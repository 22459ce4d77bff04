use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "recycling_lots")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub reference: String,
    pub status: String,
    pub vendor_id: Option<Uuid>,
    pub route: Option<String>,
    pub planned_ship_on: Option<Date>,
    pub shipped_on: Option<Date>,
    pub shipped_by: Option<String>,
    pub shipped_at: Option<DateTimeUtc>,
    pub gross_kg: Option<f64>,
    pub tare_kg: Option<f64>,
    pub transport_doc: String,
    pub hazardous: Option<bool>,
    pub export_override_reason: String,
    pub vendor_accepted_by: Option<String>,
    pub registered_kg: Option<f64>,
    pub contents_count: Option<i32>,
    pub note: String,
    pub created_by: String,
    pub recovered_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
