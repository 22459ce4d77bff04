//! Downstream vendor pages: the list, a vendor with its certifications and lots, the form.
//!
//! Certifications are written one per line in the form, `scheme number expiry`:
//!
//! ```text
//! R2v3 R2-0012345 2027-03-31
//! e-Stewards ES-7781 2026-11-30
//! ```
//!
//! The scheme is its name (`R2v3`, `e-Stewards`, `EN 50625`, `WEEELABEX`, `ISO 14001`) or its
//! code (`e_stewards`), any case; a refused line is named by its number.

use std::collections::HashMap;

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDate;

use super::flash::done;
use super::forms::{FormState, Submitted};
use super::layout::{Layout, ok, render};
use crate::ids::VendorId;
use crate::recycling::{self, Lot, LotQuery};
use crate::rules::{CertScheme, VendorRole};
use crate::vendors::{self, Certification, NewVendor, Vendor, VendorPatch};
use crate::web::error::PageResult;
use crate::web::extract::FormBody;
use crate::web::identity::Me;
use crate::web::state::AppState;

type Form = FormBody<HashMap<String, String>>;

/// The form field that holds the certifications.
const CERTS: &str = "certifications";

/// Reads one line; `Err` says what is wrong with it.
fn parse_cert(line: &str) -> Result<Certification, String> {
    let line = line.trim();
    let (rest, date) =
        line.rsplit_once(char::is_whitespace).ok_or("write the scheme, the number and the expiry date")?;
    let expires_on: NaiveDate =
        date.trim().parse().map_err(|_| format!("{date:?} is not an expiry date such as 2027-03-31"))?;
    let lower = rest.trim().to_lowercase();
    let mut best: Option<(CertScheme, usize)> = None;
    for s in CertScheme::ALL {
        for name in [s.label().to_lowercase(), s.as_str().to_owned()] {
            let fits = lower.starts_with(&name)
                && (lower.len() == name.len() || lower[name.len()..].starts_with(char::is_whitespace));
            if fits && best.is_none_or(|(_, n)| name.len() > n) {
                best = Some((*s, name.len()));
            }
        }
    }
    let (scheme, n) = best.ok_or_else(|| {
        let names: Vec<&str> = CertScheme::ALL.iter().map(|s| s.label()).collect();
        format!("start with the scheme: {}", crate::rules::one_of(&names))
    })?;
    let number = rest.trim()[n..].trim().to_owned();
    if number.is_empty() {
        return Err("give the certificate's number after the scheme".into());
    }
    Ok(Certification { scheme, number, expires_on })
}

/// The certifications as the form writes them.
fn write_certs(certs: &[Certification]) -> String {
    certs.iter().map(|c| format!("{} {} {}", c.scheme.label(), c.number, c.expires_on)).collect::<Vec<_>>().join("\n")
}

/// Reads the text area: the certifications, and for each the line it came from. Line
/// errors go into the form as `certifications_line_N`.
fn read_certs(f: &mut FormState) -> (Vec<Certification>, Vec<usize>) {
    let text = f.text(CERTS);
    let mut out = Vec::new();
    let mut lines = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        match parse_cert(raw) {
            Ok(c) => {
                out.push(c);
                lines.push(i + 1);
            }
            Err(e) => f.fail(&format!("{CERTS}_line_{}", i + 1), format!("line {} “{}”: {e}", i + 1, raw.trim())),
        }
    }
    (out, lines)
}

/// The service's errors about `certifications[i].…` named by the line they came from.
fn relabel(mut f: FormState, lines: &[usize]) -> FormState {
    let keys: Vec<String> = f.errors.keys().filter(|k| k.starts_with("certifications[")).cloned().collect();
    for k in keys {
        let idx: Option<usize> = k.trim_start_matches("certifications[").split(']').next().and_then(|n| n.parse().ok());
        if let (Some(msg), Some(line)) = (f.errors.remove(&k), idx.and_then(|i| lines.get(i))) {
            f.fail(&format!("{CERTS}_line_{line}"), format!("line {line}: {msg}"));
        }
    }
    f
}

fn line_errors(f: &FormState) -> Vec<String> {
    let mut v: Vec<(usize, String)> = f
        .errors
        .iter()
        .filter_map(|(k, m)| {
            k.strip_prefix("certifications_line_").and_then(|n| n.parse().ok()).map(|n| (n, m.clone()))
        })
        .collect();
    v.sort();
    v.into_iter().map(|(_, m)| m).collect()
}

#[derive(Template)]
#[template(path = "eol/vendors.html")]
pub struct ListPage {
    l: Layout,
    vendors: Vec<Vendor>,
}

pub async fn list(req: HttpRequest, state: Data<AppState>) -> PageResult<HttpResponse> {
    ok(&req, &ListPage { l: Layout::new(&req, "eol"), vendors: vendors::list(state.db.conn()).await? })
}

#[derive(Template)]
#[template(path = "eol/vendor.html")]
pub struct ShowPage {
    l: Layout,
    v: Vendor,
    lots: Vec<Lot>,
}

pub async fn show(req: HttpRequest, state: Data<AppState>, id: Path<VendorId>) -> PageResult<HttpResponse> {
    let conn = state.db.conn();
    let v = vendors::get(conn, *id).await?;
    let lots =
        recycling::list(conn, &LotQuery { vendor_id: Some(*id), limit: Some(100), ..Default::default() }).await?;
    ok(&req, &ShowPage { l: Layout::new(&req, "eol"), v, lots: lots.items })
}

#[derive(Template)]
#[template(path = "eol/vendor_form.html")]
pub struct FormPage {
    l: Layout,
    title: String,
    action: String,
    cancel: String,
    editing: bool,
    form: FormState,
    roles: &'static [VendorRole],
    cert_errors: Vec<String>,
}

impl FormPage {
    fn new(req: &HttpRequest, id: Option<VendorId>, form: FormState) -> FormPage {
        let (title, action, cancel) = match id {
            None => ("New downstream vendor".to_owned(), "/vendors".to_owned(), "/vendors".to_owned()),
            Some(id) => (format!("Edit {}", form.val("name")), format!("/vendors/{id}/edit"), format!("/vendors/{id}")),
        };
        FormPage {
            l: Layout::new(req, "eol"),
            title,
            action,
            cancel,
            editing: id.is_some(),
            cert_errors: line_errors(&form),
            form,
            roles: VendorRole::ALL,
        }
    }
}

pub async fn new_form(req: HttpRequest) -> PageResult<HttpResponse> {
    ok(&req, &FormPage::new(&req, None, FormState::default().with("role", "recycler")))
}

fn fields(f: &mut FormState) -> (NewVendor, Vec<usize>) {
    let (certifications, lines) = read_certs(f);
    let role = f.choice("role");
    if role.is_none() && f.opt("role").is_none() {
        f.fail("role", "is required");
    }
    let v = NewVendor {
        name: f.text("name"),
        country: f.text("country"),
        address: Some(f.text("address")),
        role,
        certifications,
        notes: Some(f.text("notes")),
    };
    (v, lines)
}

pub async fn create(req: HttpRequest, state: Data<AppState>, me: Me, FormBody(form): Form) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let (input, lines) = fields(&mut f);
    match f.submit(vendors::create(&state.db, &me.ctx(), input)).await? {
        Submitted::Done(v) => Ok(done(&format!("/vendors/{}", v.id), &format!("Added {}", v.name))),
        Submitted::Refused(status) => render(&req, status, &FormPage::new(&req, None, relabel(f, &lines))),
    }
}

pub async fn edit_form(req: HttpRequest, state: Data<AppState>, id: Path<VendorId>) -> PageResult<HttpResponse> {
    let v = vendors::get(state.db.conn(), *id).await?;
    let form = FormState::default()
        .with("name", v.name.clone())
        .with("country", v.country.clone())
        .with("address", v.address.clone())
        .with("role", v.role.as_str())
        .with(CERTS, write_certs(&v.certifications))
        .with("notes", v.notes.clone())
        .with("version", v.version.to_string());
    ok(&req, &FormPage::new(&req, Some(v.id), form))
}

pub async fn update(
    req: HttpRequest,
    state: Data<AppState>,
    me: Me,
    id: Path<VendorId>,
    FormBody(form): Form,
) -> PageResult<HttpResponse> {
    let mut f = FormState::new(form);
    let version = f.int("version").unwrap_or(0);
    let (n, lines) = fields(&mut f);
    let patch = VendorPatch {
        version,
        name: Some(n.name),
        country: Some(n.country),
        address: n.address,
        role: n.role,
        certifications: Some(n.certifications),
        notes: n.notes,
    };
    match f.submit(vendors::update(&state.db, &me.ctx(), *id, patch)).await? {
        Submitted::Done(v) => Ok(done(&format!("/vendors/{}", v.id), &format!("Saved {}", v.name))),
        Submitted::Refused(status) => render(&req, status, &FormPage::new(&req, Some(*id), relabel(f, &lines))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certification_lines_read_names_codes_and_dates() {
        let c = parse_cert("EN 50625 EN-0042 2027-01-31").unwrap();
        assert_eq!(
            (c.scheme, c.number.as_str(), c.expires_on.to_string()),
            (CertScheme::En50625, "EN-0042", "2027-01-31".into())
        );
        let c = parse_cert("  e_stewards  ES 7781 A  2026-11-30 ").unwrap();
        assert_eq!((c.scheme, c.number.as_str()), (CertScheme::EStewards, "ES 7781 A"));
        assert_eq!(parse_cert("r2v3 R2-1 2027-03-31").unwrap().scheme, CertScheme::R2v3);
        assert!(parse_cert("R2v3 2027-03-31").unwrap_err().contains("number"));
        assert!(parse_cert("R2v3 R2-1 31.03.2027").unwrap_err().contains("expiry date"));
        assert!(parse_cert("ISO9001 Q-1 2027-03-31").unwrap_err().contains("start with the scheme"));
        let certs = vec![parse_cert("ISO 14001 EMS-9 2028-02-29").unwrap()];
        assert_eq!(write_certs(&certs), "ISO 14001 EMS-9 2028-02-29");
    }
}
