//! The signed-in user's own account: password and API tokens; and the one-time slot the
//! account and user pages carry a refused form or a new token's secret in across their
//! redirect (post/redirect/get: reloading a page never posts again).

use std::collections::HashMap;

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::flash::{done, see_other};
use super::forms::{FormState, Submitted};
use super::layout::{Layout, ok};
use crate::auth::secret;
use crate::auth::tokens::{self, CreatedToken, NewToken, TokenInfo};
use crate::auth::users::{self, PasswordChange};
use crate::auth::{User, sessions};
use crate::error::AppError;
use crate::ids::TokenId;
use crate::web::error::PageResult;
use crate::web::extract::FormBody;
use crate::web::identity::{Me, SESSION_COOKIE};
use crate::web::state::AppState;

type Form = FormBody<HashMap<String, String>>;

/// What a page shows once after a redirect, kept in the session's one-time slot.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(super) enum Once {
    /// A refused form: which one, its values as typed (never a password) and its errors.
    Refused { form: String, values: HashMap<String, String>, errors: HashMap<String, String>, general: Option<String> },
    /// A token just created: its id, and its secret sealed with the session's cookie
    /// (which the database does not hold), so the database never holds the secret.
    Token { id: TokenId, sealed: String },
}

impl Once {
    /// The refused form's name and state, if that is what the slot held.
    pub(super) fn into_refused(self) -> Option<(String, FormState)> {
        match self {
            Once::Refused { form, values, errors, general } => Some((form, FormState { values, errors, general })),
            Once::Token { .. } => None,
        }
    }
}

fn session_of(me: &Me) -> Result<&str, AppError> {
    me.session_hash().ok_or(AppError::Unauthorized)
}

/// Takes what the previous request left for this page (and empties the slot).
pub(super) async fn take_once(state: &AppState, me: &Me) -> Result<Option<Once>, AppError> {
    let Some(hash) = me.session_hash() else { return Ok(None) };
    let text = sessions::take_once(&state.db, hash).await?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

async fn leave(state: &AppState, me: &Me, once: &Once) -> Result<(), AppError> {
    let text = serde_json::to_string(once).map_err(|e| AppError::Internal(e.into()))?;
    sessions::put_once(&state.db, session_of(me)?, text).await
}

/// Answers a refused form with a redirect to the page that shows it (`location`), where
/// its errors appear at the form, with the values as typed except `secret_fields`.
pub(super) async fn refused(
    state: &AppState,
    me: &Me,
    location: &str,
    form: &str,
    mut f: FormState,
    secret_fields: &[&str],
) -> PageResult<HttpResponse> {
    f.values.retain(|k, _| k != "csrf_token" && !secret_fields.contains(&k.as_str()));
    let once = Once::Refused { form: form.to_owned(), values: f.values, errors: f.errors, general: f.general };
    leave(state, me, &once).await?;
    Ok(see_other(location))
}

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

pub async fn show(req: HttpRequest, state: Data<AppState>, me: Me) -> PageResult<HttpResponse> {
    let once = take_once(&state, &me).await?;
    let mut p = AccountPage {
        l: Layout::new(&req, "account"),
        me: me.user().clone(),
        tokens: tokens::list_for(state.db.conn(), me.user().id).await?,
        created: None,
        password: FormState::default(),
        token: FormState::default(),
    };
    match once {
        Some(Once::Token { id, sealed }) => {
            // Opened with this request's cookie, and shown only if it is that token's secret.
            let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
            if let Some(secret) = secret::unseal(&sealed, &cookie)
                && tokens::is_secret_of(state.db.conn(), id, me.user().id, &secret).await?
                && let Some(info) = p.tokens.iter().find(|t| t.id == id)
            {
                p.created = Some(CreatedToken { info: info.clone(), token: secret });
            }
        }
        Some(once) => match once.into_refused() {
            Some((name, f)) if name == "password" => p.password = f,
            Some((name, f)) if name == "token" => p.token = f,
            _ => {}
        },
        None => {}
    }
    ok(&req, &p)
}

#[derive(Template)]
#[template(path = "auth/change_password.html")]
pub struct PasswordPage {
    l: Layout,
    me: User,
    form: FormState,
}

/// The change-password page: where an account with a temporary password is sent.
pub async fn password_form(req: HttpRequest, state: Data<AppState>, me: Me) -> PageResult<HttpResponse> {
    let refused = take_once(&state, &me).await?.and_then(Once::into_refused);
    let form = refused.filter(|(name, _)| name == "password").map(|(_, f)| f).unwrap_or_default();
    ok(&req, &PasswordPage { l: Layout::new(&req, "account"), me: me.user().clone(), form })
}

const PASSWORD_FIELDS: &[&str] = &["current_password", "new_password", "new_password_again"];

pub async fn change_password(state: Data<AppState>, me: Me, FormBody(form): Form) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let change = PasswordChange {
        version: f.int("version"),
        current: f.text("current_password"),
        new: f.text("new_password"),
        again: Some(f.text("new_password_again")),
    };
    let temporary = me.user().must_change_password;
    let ctx = me.ctx();
    match f.submit(users::change_password(&state.db, &ctx, me.user().id, change, me.session_hash())).await? {
        Submitted::Done(()) if temporary => Ok(done("/", "Password changed: the account is yours again")),
        Submitted::Done(()) => Ok(done("/account", "Password changed; your other sessions have ended")),
        Submitted::Refused(_) => {
            let back = if temporary { "/account/password" } else { "/account#password" };
            refused(&state, &me, back, "password", f, PASSWORD_FIELDS).await
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
    if f.has_errors() {
        // Every problem at once, not only the one found while reading the form.
        for e in tokens::problems_of(&input) {
            f.fail(&e.field, e.message);
        }
    }
    match f.submit(tokens::create(&state.db, &me.ctx(), me.user().id, input)).await? {
        Submitted::Done(created) => {
            // The secret waits for the next page sealed with the session's cookie: the
            // redirect means a reload shows the page again and creates nothing.
            let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()).ok_or(AppError::Unauthorized)?;
            let once = Once::Token { id: created.info.id, sealed: secret::seal(&created.token, &cookie) };
            leave(&state, &me, &once).await?;
            Ok(done("/account#new-token", &format!("Created the API token “{}”", created.info.name)))
        }
        Submitted::Refused(_) => refused(&state, &me, "/account#tokens", "token", f, &[]).await,
    }
}

#[derive(Template)]
#[template(path = "auth/revoke_token.html")]
pub struct RevokePage {
    l: Layout,
    token: TokenInfo,
}

/// The confirmation step before a token is revoked.
pub async fn confirm_revoke(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<TokenId>,
) -> PageResult<HttpResponse> {
    let token = tokens::get_for(state.db.conn(), *id, me.user()).await?;
    if token.revoked_at.is_some() {
        return Ok(done(
            "/account#tokens",
            &format!("The token {} ({}…) is already revoked", token.name, token.prefix),
        ));
    }
    ok(&req, &RevokePage { l: Layout::new(&req, "account"), token })
}

/// Revokes a token when the confirmation page sent `confirm=revoke`; anything else is sent
/// to that page first.
pub async fn revoke_token(
    state: Data<AppState>,
    me: Me,
    id: Path<TokenId>,
    form: Option<Form>,
) -> PageResult<HttpResponse> {
    let confirmed = form.is_some_and(|FormBody(f)| f.get("confirm").map(String::as_str) == Some("revoke"));
    if !confirmed {
        return Ok(see_other(&format!("/account/tokens/{}/revoke", *id)));
    }
    let t = tokens::revoke(&state.db, &me.ctx(), *id, me.user()).await?;
    Ok(done("/account#tokens", &format!("Revoked the token {} ({}…)", t.name, t.prefix)))
}
