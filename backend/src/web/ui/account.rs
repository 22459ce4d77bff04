//! The signed-in user's own account: password and API tokens.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::flash::done;
use super::forms::{FormState, Submitted};
use super::layout::{Layout, ok, render};
use crate::auth::tokens::{self, CreatedToken, NewToken, TokenInfo};
use crate::auth::{User, users};
use crate::error::AppError;
use crate::ids::TokenId;
use crate::web::error::PageResult;
use crate::web::extract::FormBody;
use crate::web::identity::Me;
use crate::web::state::AppState;

type Form = FormBody<HashMap<String, String>>;

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    l: Layout,
    me: User,
    tokens: Vec<TokenInfo>,
    created: Option<CreatedToken>,
    password: FormState,
    token: FormState,
}

async fn page(req: &HttpRequest, state: &AppState, me: &Me) -> Result<AccountPage, AppError> {
    Ok(AccountPage {
        l: Layout::new(req, "account"),
        me: me.user().clone(),
        tokens: tokens::list_for(state.db.conn(), me.user().id).await?,
        created: None,
        password: FormState::default(),
        token: FormState::default(),
    })
}

pub async fn show(req: HttpRequest, state: Data<AppState>, me: Me) -> PageResult<HttpResponse> {
    ok(&req, &page(&req, &state, &me).await?)
}

pub async fn change_password(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let version = f.int("version");
    if f.val("new_password") != f.val("new_password_again") {
        f.fail("new_password_again", "does not match the new password");
    }
    let ctx = me.ctx();
    let change = users::change_password(
        &state.db,
        &ctx,
        me.user().id,
        version,
        Some(f.text("current_password")),
        f.text("new_password"),
        me.session_hash(),
    );
    match f.submit(change).await? {
        Submitted::Done(()) => Ok(done("/account", "Password changed; your other sessions have ended")),
        Submitted::Refused(status) => {
            let mut p = page(&req, &state, &me).await?;
            f.values.clear();
            p.password = f;
            render(&req, status, &p)
        }
    }
}

pub async fn create_token(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let input = NewToken {
        name: f.text("name"),
        expires_in_days: f.parse("expires_in_days", "must be a whole number of days"),
    };
    let submitted = f.submit(tokens::create(&state.db, &me.ctx(), me.user().id, input)).await?;
    let mut p = page(&req, &state, &me).await?;
    match submitted {
        Submitted::Done(created) => {
            p.created = Some(created);
            // Shown once, on this response only (never in a redirect or a cookie).
            render(&req, StatusCode::CREATED, &p)
        }
        Submitted::Refused(status) => {
            p.token = f;
            render(&req, status, &p)
        }
    }
}

pub async fn revoke_token(state: Data<AppState>, me: Me, id: Path<TokenId>) -> PageResult<HttpResponse> {
    let t = tokens::revoke(&state.db, &me.ctx(), *id, me.user()).await?;
    Ok(done("/account", &format!("Revoked the token {} ({}…)", t.name, t.prefix)))
}
