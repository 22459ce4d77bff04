use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "login_throttle")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub failures: i32,
    pub first_failure_at: DateTimeUtc,
    pub last_failure_at: DateTimeUtc,
    pub locked_until: Option<DateTimeUtc>,
    /// Attempts whose password is being checked now.
    pub pending: i32,
    /// When the oldest of them began (a slot older than a minute is reclaimed).
    pub pending_since: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
