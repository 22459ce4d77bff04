//! Signing in and out, and the first-run setup page.

use std::collections::HashMap;

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::web::Data;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use askama::Template;

use super::flash::{done_setting, see_other};
use super::forms::{FormState, Submitted};
use super::layout::{Layout, ok, render};
use super::views::query_map;
use crate::auth::{self, LoginError, NewUser, sessions, users};
use crate::error::AppError;
use crate::rules::Role;
use crate::web::csrf;
use crate::web::error::{PageError, PageResult};
use crate::web::extract::FormBody;
use crate::web::identity::{Identity, Me, SESSION_COOKIE, client_ip};
use crate::web::redirect::safe_next;
use crate::web::state::AppState;

type Form = FormBody<HashMap<String, String>>;

#[derive(Template)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    l: Layout,
    next: String,
    username: String,
    error: Option<String>,
}

/// The session cookie (`Secure` when configured: the access middleware marks every cookie).
fn session_cookie(state: &AppState, value: &str) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value.to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(Duration::hours(state.settings.session_max_hours))
        .finish()
}

fn gone(name: &'static str) -> Cookie<'static> {
    let mut c = Cookie::new(name, "");
    c.set_path("/");
    c.make_removal();
    c
}

pub async fn login_form(req: HttpRequest, state: Data<AppState>) -> PageResult<HttpResponse> {
    let next = safe_next(query_map(&req).get("next").map(String::as_str));
    if req.extensions().get::<Identity>().is_some() {
        return Ok(see_other(&next));
    }
    if users::count(state.db.conn()).await? == 0 {
        return Ok(see_other("/setup"));
    }
    ok(&req, &LoginPage { l: Layout::new(&req, "login"), next, username: String::new(), error: None })
}

pub async fn login(req: HttpRequest, state: Data<AppState>, FormBody(form): Form) -> PageResult<HttpResponse> {
    let f = FormState::new(form);
    let next = safe_next(f.opt("next").as_deref());
    let username = f.text("username");
    let ip = client_ip(&req, &state.settings);
    let agent = req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let result = auth::login(
        &state.db,
        &username,
        f.val("password"),
        &ip,
        &agent,
        state.settings.session_policy(),
        &state.settings.throttle_policy(),
    )
    .await;
    let page = |error: String| LoginPage {
        l: Layout::new(&req, "login"),
        next: next.clone(),
        username: username.clone(),
        error: Some(error),
    };
    match result {
        Ok((user, started)) => {
            // A new session id at every sign-in: a cookie planted earlier is worth nothing.
            let cookies = vec![session_cookie(&state, &started.cookie), gone(csrf::ANON_COOKIE)];
            if user.must_change_password {
                // A temporary password: the account reaches nothing else until it is changed.
                let msg = format!("Signed in as {} with a temporary password: choose your own", user.shown_name());
                return Ok(done_setting("/account/password", &msg, cookies));
            }
            Ok(done_setting(&next, &format!("Signed in as {}", user.shown_name()), cookies))
        }
        Err(LoginError::Invalid) => render(&req, StatusCode::UNAUTHORIZED, &page(auth::login::INVALID_MESSAGE.into())),
        Err(LoginError::Throttled { retry_after_secs }) => {
            let msg = format!("Too many failed sign-ins. Wait {retry_after_secs} s before trying again.");
            let mut resp = render(&req, StatusCode::TOO_MANY_REQUESTS, &page(msg))?;
            resp.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after_secs.max(1) as u64));
            Ok(resp)
        }
        Err(LoginError::Failed(e)) => Err(PageError(e)),
    }
}

pub async fn logout(state: Data<AppState>, me: Me) -> PageResult<HttpResponse> {
    if let Some(hash) = me.session_hash() {
        sessions::end(&state.db, hash).await?;
    }
    Ok(done_setting("/login", "Signed out", vec![gone(SESSION_COOKIE)]))
}

#[derive(Template)]
#[template(path = "auth/setup.html")]
pub struct SetupPage {
    l: Layout,
    form: FormState,
}

async fn no_users_yet(state: &AppState) -> Result<(), PageError> {
    if users::count(state.db.conn()).await? > 0 {
        // The page exists only until the first account does.
        return Err(PageError(AppError::NotFound { what: "page", id: "/setup".into() }));
    }
    Ok(())
}

pub async fn setup_form(req: HttpRequest, state: Data<AppState>) -> PageResult<HttpResponse> {
    no_users_yet(&state).await?;
    ok(&req, &SetupPage { l: Layout::new(&req, "login"), form: FormState::default() })
}

pub async fn setup(req: HttpRequest, state: Data<AppState>, FormBody(form): Form) -> PageResult<HttpResponse> {
    no_users_yet(&state).await?;
    let mut f = FormState::new(form);
    if f.val("password") != f.val("password_again") {
        f.fail("password_again", "does not match the password");
    }
    let input = NewUser {
        username: f.text("username"),
        display_name: f.opt("display_name"),
        role: Role::Admin,
        password: f.text("password"),
    };
    if f.has_errors() {
        // Every problem at once: the fields the service would refuse, beside the mismatch.
        f.absorb_problems(users::problems_of(&input));
    }
    let ctx = crate::context::Ctx::new("setup");
    match f.submit(users::create_first_admin(&state.db, &ctx, input)).await? {
        Submitted::Done(user) => {
            let ip = client_ip(&req, &state.settings);
            let started =
                sessions::start(&state.db, &user, "", &ip, state.settings.session_policy(), chrono::Utc::now()).await?;
            Ok(done_setting(
                "/assets",
                &format!("Welcome, {}. reloop is ready; add people under Users.", user.shown_name()),
                vec![session_cookie(&state, &started.cookie), gone(csrf::ANON_COOKIE)],
            ))
        }
        Submitted::Refused(status) => {
            f.values.remove("password");
            f.values.remove("password_again");
            render(&req, status, &SetupPage { l: Layout::new(&req, "login"), form: f })
        }
    }
}
