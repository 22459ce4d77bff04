//! The frame every page shares, and rendering a page into a response.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use askama::Template;

use super::flash;
use crate::auth::User;
use crate::error::AppError;
use crate::rules::{Permission, Role, State};
use crate::web::csrf;
use crate::web::error::PageResult;
use crate::web::identity::Identity;

/// What every page's frame needs: the active section, the flash message, the user and
/// the CSRF token for its forms.
pub struct Layout {
    pub nav: &'static str,
    pub flash: Option<String>,
    pub user: Option<User>,
    pub csrf: String,
}

impl Layout {
    pub fn new(req: &HttpRequest, nav: &'static str) -> Layout {
        let user = req.extensions().get::<Identity>().map(|i| i.user.clone());
        Layout { nav, flash: flash::take(req), user, csrf: csrf::token_for(req) }
    }

    /// The signed-in user's role.
    pub fn role(&self) -> Option<Role> {
        self.user.as_ref().map(|u| u.role)
    }

    /// The signed-in role's name, lower case, with its article ("a refurbisher").
    pub fn role_label(&self) -> String {
        let label = self.role().map(|r| r.label().to_lowercase()).unwrap_or_else(|| "a visitor".into());
        let article = if label.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
        format!("{article} {label}")
    }

    /// Whether the signed-in role holds `p` (`rules::role::MATRIX`): pages offer only what
    /// this says, so every button follows the same table as the route's access rule.
    pub fn allows(&self, p: Permission) -> bool {
        self.role().is_some_and(|r| r.allows(p))
    }

    /// Whether the signed-in role may move an item to `to` (`Role::may_transition_to`,
    /// on top of the lifecycle permission).
    pub fn may_move_to(&self, to: State) -> bool {
        self.can_lifecycle() && self.role().is_some_and(|r| r.may_transition_to(to))
    }

    pub fn can_write(&self) -> bool {
        self.allows(Permission::RegistryWrite)
    }

    pub fn can_lifecycle(&self) -> bool {
        self.allows(Permission::Lifecycle)
    }

    pub fn can_bench(&self) -> bool {
        self.allows(Permission::Bench)
    }

    pub fn can_audit(&self) -> bool {
        self.allows(Permission::ReadAudit)
    }

    pub fn can_manage_users(&self) -> bool {
        self.allows(Permission::ManageUsers)
    }

    pub fn can_decide(&self) -> bool {
        self.allows(Permission::Decide)
    }

    pub fn can_manage_policy(&self) -> bool {
        self.allows(Permission::ManagePolicy)
    }
}

/// Renders a page, clearing any flash message it displayed.
pub fn render<T: Template>(req: &HttpRequest, status: StatusCode, page: &T) -> PageResult<HttpResponse> {
    let html = page.render().map_err(|e| AppError::Internal(anyhow::anyhow!("rendering a page: {e}")))?;
    let mut resp = HttpResponse::build(status);
    resp.content_type("text/html; charset=utf-8").insert_header((header::CACHE_CONTROL, "no-store"));
    for gone in flash::cleared(req) {
        resp.cookie(gone);
    }
    Ok(resp.body(html))
}

pub fn ok<T: Template>(req: &HttpRequest, page: &T) -> PageResult<HttpResponse> {
    render(req, StatusCode::OK, page)
}
