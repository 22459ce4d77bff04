//! Accounts, sign-in, sessions, API tokens and login throttling. Roles and what each may
//! do are vocabulary (`rules::role`); this module keeps who holds which.
//!
//! Invariants:
//! - Passwords are stored only as argon2id hashes (OWASP parameters or stronger), hashed
//!   and verified off the async executor; an unknown username costs the same dummy
//!   verification as a known one, and every refusal reads the same.
//! - Session cookies and API tokens are random 256-bit secrets stored only as SHA-256
//!   hashes; a session id is new at every sign-in and dies server-side at sign-out.
//! - Sessions, tokens and throttle counters live in the database, so instances sharing it
//!   behave as one.
//! - Users are never deleted (the ledger and trail keep their names); they are deactivated.
//! - An admin's temporary password (`users::set_temporary_password`, also `reloop user
//!   set-password`) ends every session of the account and must be changed at the next
//!   sign-in: until then the web UI sends the account to the change-password page only,
//!   and the API refuses its tokens (403). The audit entry names the account, never the
//!   password.
//! - At least one active admin always remains. Account rows change by compare-and-swap on
//!   `version`, password changes included.

pub mod login;
pub mod model;
pub mod password;
pub mod secret;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;

pub use login::{LoginError, login};
pub use model::{NewUser, User, UserPatch};
