//! Database errors as application errors: a unique-index violation becomes a 409 that
//! names the field (the index names are ours), anything else a logged 500.

use sea_orm::{DbErr, SqlErr};

use crate::error::AppError;

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        // Unique constraints are checked by the services before writing; this catches the
        // race where two requests pass the check together. The index names are ours.
        if let Some(SqlErr::UniqueConstraintViolation(msg)) = err.sql_err() {
            let (field, what) = if msg.contains("tag_key") {
                ("asset_tag", "asset tag")
            } else if msg.contains("serial") {
                ("serial", "serial number for this manufacturer")
            } else if msg.contains("name_key") {
                ("name", "name")
            } else if msg.contains("model_key") {
                ("model_number", "model number for this manufacturer")
            } else if msg.contains("open_asset") {
                return AppError::conflict(
                    "already_open",
                    Some("asset_id"),
                    "this item already has an open repair or dismantle job",
                );
            } else if msg.contains("active_asset") {
                return AppError::conflict("duplicate", Some("part_id"), "this part is already waiting in a pool");
            } else if msg.contains("job_asset") {
                return AppError::conflict("duplicate", Some("code"), "this part is already a line of the job");
            } else {
                return AppError::conflict("duplicate", None, "that record already exists");
            };
            return AppError::conflict("duplicate", Some(field), format!("that {what} is already in use"));
        }
        AppError::Db(err)
    }
}
