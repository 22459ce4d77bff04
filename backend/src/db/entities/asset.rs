use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "assets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub asset_tag: String,
    pub tag_key: String,
    pub manufacturer: String,
    pub mfr_key: String,
    pub serial: Option<String>,
    pub serial_key: Option<String>,
    pub kind: String,
    pub model_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    pub state: String,
    pub grade_functional: Option<String>,
    pub grade_cosmetic: Option<String>,
    pub grade_retail: Option<String>,
    pub custodian: String,
    pub acquired_on: Option<Date>,
    pub first_deployed_on: Option<Date>,
    pub workload_tier: Option<String>,
    pub mass_override_kg: Option<f64>,
    pub notes: String,
    /// Holds user data although its kind does not say so (a BMC, a RAID controller with cache).
    pub holds_data: bool,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
