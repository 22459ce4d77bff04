//! User administration (admins only).

use std::collections::HashMap;

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::forms::FormState;
use super::{Layout, done, ok, render};
use crate::auth::Role;
use crate::auth::users::{self, NewUser, User, UserPatch};
use crate::error::AppError;
use crate::ids::UserId;
use crate::web::AppState;
use crate::web::access::Me;
use crate::web::error::PageResult;
use crate::web::extract::FormBody;

type Form = FormBody<HashMap<String, String>>;

#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    l: Layout,
    users: Vec<User>,
    roles: &'static [Role],
    form: FormState,
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
    let Some(role) = role else {
        f.errors.entry("role".into()).or_insert_with(|| "choose a role".into());
        return render(&req, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, &page(&req, &state, f, None).await?);
    };
    let input = NewUser {
        username: f.text("username"),
        display_name: f.opt("display_name"),
        role,
        password: f.text("password"),
    };
    match users::create(&state.db, &me.ctx(), input).await {
        Ok(u) => Ok(done("/admin/users", &format!("Created {} ({})", u.username, u.role.label()))),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            f.absorb(&e);
            f.values.remove("password");
            render(&req, crate::web::error::status_of(&e), &page(&req, &state, f, None).await?)
        }
        Err(e) => Err(e.into()),
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
    match users::update(&state.db, &me.ctx(), *id, patch).await {
        Ok(u) => Ok(done(
            "/admin/users",
            &format!("Saved {}: {}, {}", u.username, u.role.label(), if u.active { "active" } else { "deactivated" }),
        )),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            let msg = e.to_string();
            render(&req, crate::web::error::status_of(&e), &page(&req, &state, FormState::default(), Some(msg)).await?)
        }
        Err(e) => Err(e.into()),
    }
}
