//! User administration (admins only): accounts with their last sign-in, roles with what
//! each may do, temporary passwords. Every form posts, then redirects back here (a refused
//! one shows its errors at the form that caused them).

use std::collections::HashMap;

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use super::account::{Once, refused, take_once};
use super::flash::done;
use super::forms::{FormState, Submitted};
use super::layout::{Layout, ok};
use super::views::short_time;
use crate::auth::{NewUser, User, UserPatch, users};
use crate::ids::UserId;
use crate::rules::role::{MATRIX, REFURBISHER_STATES};
use crate::rules::{Permission, Role, one_of};
use crate::web::error::PageResult;
use crate::web::extract::FormBody;
use crate::web::identity::Me;
use crate::web::state::AppState;

type Form = FormBody<HashMap<String, String>>;

/// What a role may do, in the words of the permission table (`rules::role::MATRIX`).
pub struct RoleHelp {
    pub role: Role,
    pub may: Vec<String>,
}

/// Each role's permissions as their labels; the refurbisher's state limit is spelled out.
pub fn role_help() -> Vec<RoleHelp> {
    Role::ALL
        .iter()
        .map(|&role| {
            let may = MATRIX
                .iter()
                .filter(|(p, roles)| *p != Permission::Public && roles.contains(&role))
                .map(|(p, _)| match (p, role) {
                    (Permission::Lifecycle, Role::Refurbisher) => {
                        let states: Vec<&str> = REFURBISHER_STATES.iter().map(|s| s.label()).collect();
                        format!("{} (moving items only to {})", p.label(), one_of(&states))
                    }
                    _ => p.label().to_owned(),
                })
                .collect();
            RoleHelp { role, may }
        })
        .collect()
}

/// A listed account with its last sign-in as shown.
pub struct Row {
    pub u: User,
    pub last_sign_in: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    l: Layout,
    me: UserId,
    users: Vec<Row>,
    roles: &'static [Role],
    help: Vec<RoleHelp>,
    form: FormState,
    /// A refused form of one listed account: its name ("row" or "reset"), the account, its state.
    refused: Option<(String, UserId, FormState)>,
}

impl UsersPage {
    /// The messages of account `id`'s refused `form` ("row" or "reset") on one line (a
    /// listed account's forms share its row).
    fn refusal(&self, form: &str, id: &UserId) -> Option<String> {
        let (_, _, f) = self.refused.as_ref().filter(|(name, u, _)| name == form && u == id)?;
        let mut all: Vec<String> = f.general.iter().cloned().collect();
        all.extend(f.errors.values().cloned());
        Some(all.join("; "))
    }
}

pub async fn list(req: HttpRequest, state: Data<AppState>, me: Me) -> PageResult<HttpResponse> {
    // A refused form is "create" (below the list) or "row:ID" / "reset:ID" (one account's).
    let (form, refused) = match take_once(&state, &me).await?.and_then(Once::into_refused) {
        Some((name, f)) if name == "create" => (f, None),
        Some((name, f)) => {
            let of_row = name.split_once(':').and_then(|(n, id)| Some((n.to_owned(), id.parse::<UserId>().ok()?, f)));
            (FormState::default(), of_row)
        }
        None => (FormState::default(), None),
    };
    let users = users::list(state.db.conn())
        .await?
        .into_iter()
        .map(|u| Row { last_sign_in: u.last_sign_in_at.map(|t| (short_time(t), t.to_rfc3339())), u })
        .collect();
    let page = UsersPage {
        l: Layout::new(&req, "users"),
        me: me.user().id,
        users,
        roles: Role::ALL,
        help: role_help(),
        form,
        refused,
    };
    ok(&req, &page)
}

/// The role chosen in a form, or its error in the UI's words.
fn role_of(f: &mut FormState) -> Option<Role> {
    match Role::parse(f.val("role").trim()) {
        Some(r) => Some(r),
        None => {
            let labels: Vec<&str> = Role::ALL.iter().map(|r| r.label()).collect();
            f.fail("role", format!("choose one of {}", one_of(&labels)));
            None
        }
    }
}

pub async fn create(state: Data<AppState>, me: Me, FormBody(form): Form) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let role = role_of(&mut f);
    let input = NewUser {
        username: f.text("username"),
        display_name: f.opt("display_name"),
        role: role.unwrap_or(Role::Auditor),
        password: f.text("password"),
    };
    if f.has_errors() {
        // Every problem at once: the account's own beside the role's.
        for e in users::problems_of(&input) {
            f.fail(&e.field, e.message);
        }
    }
    match f.submit(users::create(&state.db, &me.ctx(), input)).await? {
        Submitted::Done(u) => Ok(done("/admin/users", &format!("Created {} ({})", u.username, u.role.label()))),
        Submitted::Refused(_) => refused(&state, &me, "/admin/users#add-user", "create", f, &["password"]).await,
    }
}

pub async fn update(state: Data<AppState>, me: Me, id: Path<UserId>, FormBody(form): Form) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let patch = UserPatch {
        version: f.int("version").unwrap_or(0),
        display_name: None,
        role: role_of(&mut f),
        active: Some(f.val("active") == "true"),
    };
    match f.submit(users::update(&state.db, &me.ctx(), *id, patch)).await? {
        Submitted::Done(u) => Ok(done(
            "/admin/users",
            &format!("Saved {}: {}, {}", u.username, u.role.label(), if u.active { "active" } else { "deactivated" }),
        )),
        Submitted::Refused(_) => {
            let (anchor, form) = (format!("/admin/users#user-{}", *id), format!("row:{}", *id));
            refused(&state, &me, &anchor, &form, f, &[]).await
        }
    }
}

/// Gives an account a temporary password that must be changed at its next sign-in.
pub async fn set_temporary_password(
    state: Data<AppState>,
    me: Me,
    id: Path<UserId>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let version = f.int("version");
    let password = f.text("password");
    if password.is_empty() {
        f.fail("password", "enter a temporary password");
    }
    match f.submit(users::set_temporary_password(&state.db, &me.ctx(), *id, version, password)).await? {
        Submitted::Done(u) => Ok(done(
            "/admin/users",
            &format!(
                "Set a temporary password for {}: they choose their own at their next sign-in; their sessions have ended",
                u.username
            ),
        )),
        Submitted::Refused(_) => {
            let (anchor, form) = (format!("/admin/users#user-{}", *id), format!("reset:{}", *id));
            refused(&state, &me, &anchor, &form, f, &["password"]).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_help_follows_the_permission_table() {
        let help = role_help();
        assert_eq!(help.len(), Role::ALL.len());
        for h in &help {
            for (p, roles) in MATRIX.iter().filter(|(p, _)| *p != Permission::Public) {
                let said = h.may.iter().any(|m| m.starts_with(p.label()));
                assert_eq!(said, roles.contains(&h.role), "{} and {}", h.role, p.label());
            }
        }
        let refurbisher = help.iter().find(|h| h.role == Role::Refurbisher).expect("refurbisher");
        assert!(refurbisher.may.iter().any(|m| m.contains("moving items only to In repair")), "{:?}", refurbisher.may);
    }
}
