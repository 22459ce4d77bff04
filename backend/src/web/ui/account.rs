//! The signed-in user's own account: password and API tokens.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::forms::FormState;
use super::{Layout, done, ok, render};
use crate::auth::tokens::{self, CreatedToken, NewToken, TokenInfo};
use crate::auth::users::{self, User};
use crate::error::AppError;
use crate::ids::TokenId;
use crate::web::AppState;
use crate::web::access::Me;
use crate::web::error::PageResult;
use crate::web::extract::FormBody;

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
    let f = FormState::new(form);
    let result = if f.val("new_password") != f.val("new_password_again") {
        Err(AppError::invalid("new_password_again", "does not match the new password"))
    } else {
        let user = me.user();
        users::change_password(
            &state.db,
            &me.ctx(),
            user.id,
            Some(f.text("current_password")),
            f.text("new_password"),
            me.session_hash(),
        )
        .await
    };
    match result {
        Ok(()) => Ok(done("/account", "Password changed; your other sessions have ended")),
        Err(e @ AppError::Invalid(_)) => {
            let mut p = page(&req, &state, &me).await?;
            p.password.absorb(&e);
            render(&req, crate::web::error::status_of(&e), &p)
        }
        Err(e) => Err(e.into()),
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
    let result = if f.has_errors() {
        Err(AppError::Invalid(Vec::new()))
    } else {
        tokens::create(&state.db, &me.ctx(), me.user().id, input).await
    };
    let mut p = page(&req, &state, &me).await?;
    match result {
        Ok(created) => {
            p.tokens = tokens::list_for(state.db.conn(), me.user().id).await?;
            p.created = Some(created);
            // Shown once, on this response only (never in a redirect or a cookie).
            render(&req, StatusCode::CREATED, &p)
        }
        Err(e @ AppError::Invalid(_)) => {
            if !matches!(&e, AppError::Invalid(v) if v.is_empty()) {
                f.absorb(&e);
            }
            p.token = f;
            render(&req, StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_token(state: Data<AppState>, me: Me, id: Path<TokenId>, _form: Form) -> PageResult<HttpResponse> {
    let t = tokens::revoke(&state.db, &me.ctx(), *id, me.user()).await?;
    Ok(done("/account", &format!("Revoked the token {} ({}…)", t.name, t.prefix)))
}
