//! The frame every page shares, and rendering a page into a response.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use askama::Template;

use super::flash;
use crate::auth::User;
use crate::error::AppError;
use crate::rules::Permission;
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

    fn allows(&self, p: Permission) -> bool {
        self.user.as_ref().is_some_and(|u| u.role.allows(p))
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
    if let Some(gone) = flash::cleared(req) {
        resp.cookie(gone);
    }
    Ok(resp.body(html))
}

pub fn ok<T: Template>(req: &HttpRequest, page: &T) -> PageResult<HttpResponse> {
    render(req, StatusCode::OK, page)
}
