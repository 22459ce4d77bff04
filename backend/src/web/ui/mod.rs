//! The server-rendered UI. Pages work without JavaScript; `static/app.js` only adds
//! shortcuts (focus the scan box with `/`, submit filters on change) and saves bench
//! parts in the background so the serial field keeps focus.
//!
//! Every state-changing form posts (the access middleware has checked its CSRF token
//! before a handler runs), then redirects (303) to a page that shows the result, with a
//! one-shot flash message carried in a short-lived cookie. A refused form is shown again
//! with the values as typed and each error next to its field ([`forms::FormState::submit`]).
//!
//! Layout: [`routes`] declares every page with its rule; page modules (`assets`, `sites`,
//! …) hold the handlers; [`layout`] frames and renders pages, [`flash`] carries messages
//! across redirects, [`forms`] holds form state, [`views`] formats values for people.

pub mod account;
pub mod api_docs;
pub mod asset_list;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod bom_text;
pub mod bulk;
pub mod error_page;
pub mod flash;
pub mod forecast;
pub mod forms;
pub mod harvest;
pub mod home;
pub mod labels;
pub mod layout;
pub mod lots;
pub mod models;
pub mod policy;
pub mod repairs;
pub mod routes;
pub mod sanitization;
pub mod sites;
pub mod users;
pub mod vendors;
pub mod views;
