//! User administration (admins only).

use std::collections::HashMap;

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::flash::done;
use super::forms::{FormState, Submitted};
use super::layout::{Layout, ok, render};
use crate::auth::{NewUser, User, UserPatch, users};
use crate::error::AppError;
use crate::ids::UserId;
use crate::rules::Role;
use crate::web::error::PageResult;
use crate::web::extract::FormBody;
use crate::web::identity::Me;
use crate::web::state::AppState;

type Form = FormBody<HashMap<String, String>>;

#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    l: Layout,
    users: Vec<User>,
    roles: &'static [Role],
    form: FormState,
    /// A refused change to one of the listed accounts.
    error: Option<String>,
}

async fn page(
    req: &HttpRequest,
    state: &AppState,
    form: FormState,
    error: Option<String>,
) -> Result<UsersPage, AppError> {
    Ok(UsersPage {
        l: Layout::new(req, "users"),
        users: users::list(state.db.conn()).await?,
        roles: Role::ALL,
        form,
        error,
    })
}

pub async fn list(req: HttpRequest, state: Data<AppState>) -> PageResult<HttpResponse> {
    ok(&req, &page(&req, &state, FormState::default().with("role", "asset_manager"), None).await?)
}

pub async fn create(req: HttpRequest, state: Data<AppState>, me: Me, FormBody(form): Form) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let role: Option<Role> = f.choice("role");
    if role.is_none() && f.err("role").is_none() {
        f.fail("role", "choose a role");
    }
    let input = NewUser {
        username: f.text("username"),
        display_name: f.opt("display_name"),
        role: role.unwrap_or(Role::Auditor),
        password: f.text("password"),
    };
    match f.submit(users::create(&state.db, &me.ctx(), input)).await? {
        Submitted::Done(u) => Ok(done("/admin/users", &format!("Created {} ({})", u.username, u.role.label()))),
        Submitted::Refused(status) => {
            f.values.remove("password");
            render(&req, status, &page(&req, &state, f, None).await?)
        }
    }
}

pub async fn update(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<UserId>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let patch = UserPatch {
        version: f.int("version").unwrap_or(0),
        display_name: None,
        role: f.choice("role"),
        active: Some(f.val("active") == "true"),
    };
    match f.submit(users::update(&state.db, &me.ctx(), *id, patch)).await? {
        Submitted::Done(u) => Ok(done(
            "/admin/users",
            &format!("Saved {}: {}, {}", u.username, u.role.label(), if u.active { "active" } else { "deactivated" }),
        )),
        Submitted::Refused(status) => {
            // The refusal concerns a row of the list, not the add-user form below it.
            let msg = f.general.clone().or_else(|| f.errors.values().next().cloned());
            render(&req, status, &page(&req, &state, FormState::default(), msg).await?)
        }
    }
}
