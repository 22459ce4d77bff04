//! Database errors as application errors: a unique-index violation becomes a 409 that
//! names the field (the index names are ours); a database that cannot serve (not
//! answering, disk full, read-only) a 503 that says which; anything else a logged 500.

use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr, SqlErr};

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
        match unavailable(&err) {
            Some(message) => AppError::Unavailable { message, cause: err },
            None => AppError::Db(err),
        }
    }
}

const NOT_ANSWERING: &str =
    "the database is not answering: nothing was saved; try again in a moment, and tell your administrator if it lasts";
const DISK_FULL: &str =
    "the database's disk is full: nothing was saved; tell your administrator (free space, then try again)";
const READ_ONLY: &str = "the database is read-only: nothing was saved; tell your administrator (file or volume permissions, or a read-only replica)";

/// Why the database cannot serve, when that is the trouble.
fn unavailable(err: &DbErr) -> Option<&'static str> {
    let sqlx = match err {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout | ConnAcquireErr::ConnectionClosed) => {
            return Some(NOT_ANSWERING);
        }
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        _ => return None,
    };
    use sea_orm::sqlx::Error as E;
    match sqlx.as_ref() {
        E::Io(_) | E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed | E::Tls(_) => Some(NOT_ANSWERING),
        E::Database(d) => {
            let postgres = d.try_downcast_ref::<sea_orm::sqlx::postgres::PgDatabaseError>().is_some();
            classify(&d.code()?, postgres)
        }
        _ => None,
    }
}

/// A database error code: PostgreSQL's SQLSTATE, or SQLite's (extended) result code.
fn classify(code: &str, postgres: bool) -> Option<&'static str> {
    if !postgres {
        // SQLite: the primary code is the low byte of the extended one.
        return match code.parse::<i32>().ok()? & 0xff {
            13 => Some(DISK_FULL),     // SQLITE_FULL
            8 => Some(READ_ONLY),      // SQLITE_READONLY
            10 => Some(NOT_ANSWERING), // SQLITE_IOERR
            14 => Some(NOT_ANSWERING), // SQLITE_CANTOPEN
            _ => None,
        };
    }
    match code {
        "53100" => Some(DISK_FULL),
        "25006" => Some(READ_ONLY),
        // admin_shutdown, crash_shutdown, cannot_connect_now, and every connection exception.
        "57P01" | "57P02" | "57P03" => Some(NOT_ANSWERING),
        c if c.starts_with("08") => Some(NOT_ANSWERING),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_that_mean_the_database_cannot_serve() {
        assert_eq!(classify("13", false), Some(DISK_FULL));
        assert_eq!(classify("8", false), Some(READ_ONLY));
        assert_eq!(classify("1032", false), Some(READ_ONLY), "SQLITE_READONLY_DBMOVED");
        assert_eq!(classify("2067", false), None, "a unique constraint is the caller's conflict");
        // SQLSTATEs may be all digits: they are told apart by the backend, not the shape.
        assert_eq!(classify("53100", true), Some(DISK_FULL));
        assert_eq!(classify("25006", true), Some(READ_ONLY));
        assert_eq!(classify("57P01", true), Some(NOT_ANSWERING));
        assert_eq!(classify("08006", true), Some(NOT_ANSWERING));
        assert_eq!(classify("23505", true), None);
        assert_eq!(unavailable(&DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)), Some(NOT_ANSWERING));
        assert_eq!(unavailable(&DbErr::RecordNotFound("x".into())), None);
    }
}
