//! An account as the application sees it, and the inputs that create and change one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::context::Ctx;
use crate::db::entities::user;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::rules::Role;

/// An account as everyone but the password check sees it.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub password_changed_at: DateTime<Utc>,
    /// The password was set by an admin and must be changed at the next sign-in: until
    /// then the account reaches only the change-password page, and its API tokens are refused.
    pub must_change_password: bool,
    pub last_sign_in_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<user::Model> for User {
    type Error = AppError;
    fn try_from(m: user::Model) -> AppResult<User> {
        Ok(User {
            id: m.id.into(),
            role: Role::parse(&m.role)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unreadable role {:?}", m.role)))?,
            username: m.username,
            display_name: m.display_name,
            active: m.active,
            password_changed_at: m.password_changed_at,
            must_change_password: m.must_change_password,
            last_sign_in_at: m.last_sign_in_at,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

impl User {
    /// The name shown in lists and headers.
    pub fn shown_name(&self) -> &str {
        if self.display_name.is_empty() { &self.username } else { &self.display_name }
    }

    /// The context this user acts in.
    pub fn ctx(&self) -> Ctx {
        Ctx::user(self.id, self.username.clone(), self.role)
    }
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    #[serde(default)]
    pub display_name: Option<String>,
    pub role: Role,
    /// At least 12 characters, not a common password.
    pub password: String,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub version: i32,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    /// false deactivates the account: its sessions end and its tokens stop working.
    #[serde(default)]
    pub active: Option<bool>,
}
