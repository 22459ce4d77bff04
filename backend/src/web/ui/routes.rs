//! Every UI route, declared once with its access rule: the same list registers the
//! handlers and gives the access middleware its rules.

use actix_web::web::{self, ServiceConfig};

use super::{
    account, api_docs, asset_list, assets, audit, auth, bulk, forecast, harvest, home, labels, lots, models, policy,
    repairs, sanitization, sites, users, vendors,
};
use crate::rules::Permission;
use crate::web::access::{Family, Rule};

/// Declares the UI's routes and their access rules in one list.
macro_rules! ui_routes {
    ($($method:ident $path:literal => $handler:path, $perm:ident;)*) => {
        /// Access rules of every UI route (see `web::access`).
        pub const RULES: &[Rule] = &[
            $(Rule::new(ui_routes!(@m $method), $path, Permission::$perm, Family::Ui),)*
        ];

        /// Registers every UI route.
        pub fn configure(cfg: &mut ServiceConfig) {
            $(cfg.route($path, web::$method().to($handler));)*
        }
    };
    (@m get) => { "GET" };
    (@m post) => { "POST" };
}

ui_routes! {
    get "/" => home::show, Read;
    get "/api-docs" => api_docs::show, Public;
    get "/login" => auth::login_form, Public;
    post "/login" => auth::login, Public;
    post "/logout" => auth::logout, SignedIn;
    get "/setup" => auth::setup_form, Public;
    post "/setup" => auth::setup, Public;
    get "/account" => account::show, SignedIn;
    get "/account/password" => account::password_form, SignedIn;
    post "/account/password" => account::change_password, SignedIn;
    post "/account/tokens" => account::create_token, SignedIn;
    get "/account/tokens/{id}/revoke" => account::confirm_revoke, SignedIn;
    post "/account/tokens/{id}/revoke" => account::revoke_token, SignedIn;
    get "/scan" => assets::scan, Read;
    get "/assets" => asset_list::list, Read;
    post "/assets" => assets::create, RegistryWrite;
    get "/assets/new" => assets::new_form, RegistryWrite;
    get "/bulk" => bulk::review, Read;
    post "/bulk/transition" => bulk::transition, Lifecycle;
    post "/bulk/move" => bulk::move_site, RegistryWrite;
    get "/assets/{id}" => assets::show, Read;
    get "/assets/{id}/next-life" => policy::next_life, Read;
    post "/assets/{id}/next-life/accept" => policy::accept, Decide;
    get "/fleet/due" => policy::fleet, Read;
    get "/fleet/due.csv" => policy::fleet_csv, Read;
    post "/fleet/refresh" => policy::refresh, Decide;
    get "/forecast" => forecast::fleet, Read;
    get "/forecast/procurement" => forecast::procurement_form, Read;
    post "/forecast/procurement" => forecast::procurement, Read;
    get "/forecast/demand" => forecast::demand_form, Read;
    post "/forecast/demand" => forecast::demand, Read;
    get "/forecast/demand/table.csv" => forecast::demand_table, Read;
    get "/forecast/lifespans" => forecast::lifespans, Read;
    get "/policy" => policy::show, Read;
    post "/policy" => policy::submit, ManagePolicy;
    get "/assets/{id}/label.svg" => labels::svg, Read;
    get "/labels" => labels::sheet, Read;
    get "/assets/{id}/edit" => assets::edit_form, RegistryWrite;
    post "/assets/{id}/edit" => assets::update, RegistryWrite;
    post "/assets/{id}/transition" => assets::transition, Lifecycle;
    post "/assets/{id}/install" => assets::install, Lifecycle;
    post "/assets/{id}/children/{child}/remove" => assets::remove, Lifecycle;
    get "/bench" => repairs::hub, Read;
    post "/repairs" => repairs::open, Bench;
    get "/repairs/{id}" => repairs::show, Read;
    post "/repairs/{id}/update" => repairs::update, Bench;
    post "/repairs/{id}/remove-part" => repairs::remove_part, Bench;
    post "/repairs/{id}/install-part" => repairs::install_part, Bench;
    post "/repairs/{id}/reserve" => repairs::reserve, Bench;
    post "/repairs/{id}/close" => repairs::close, Bench;
    post "/dismantle" => harvest::open, Bench;
    get "/dismantle/{id}" => harvest::show, Read;
    post "/dismantle/{id}/parts" => harvest::record, Bench;
    post "/dismantle/{id}/close" => harvest::close, Bench;
    get "/pool" => harvest::pool, Read;
    get "/sanitization" => sanitization::index, Read;
    post "/sanitization/records" => sanitization::create_record, Bench;
    get "/sanitization/records/{id}" => sanitization::certificate, Read;
    post "/sanitization/batches" => sanitization::open_batch, Bench;
    get "/sanitization/batches/{id}" => sanitization::show_batch, Read;
    post "/sanitization/batches/{id}/scan" => sanitization::scan, Bench;
    post "/sanitization/batches/{id}/close" => sanitization::close_batch, Bench;
    get "/sanitization/batches/{id}/certificate" => sanitization::batch_certificate, Read;
    get "/reuse" => harvest::reuse, Read;
    get "/lots" => lots::list, Read;
    post "/lots" => lots::create, Bench;
    get "/lots/{id}" => lots::show, Read;
    post "/lots/{id}/edit" => lots::update, Bench;
    post "/lots/{id}/items" => lots::add_items, Bench;
    post "/lots/{id}/remove-items" => lots::remove_items, Bench;
    post "/lots/{id}/ship" => lots::ship, Bench;
    post "/lots/{id}/custody" => lots::add_custody, Bench;
    post "/lots/{id}/recovery" => lots::recovery, Bench;
    get "/vendors" => vendors::list, Read;
    post "/vendors" => vendors::create, Bench;
    get "/vendors/new" => vendors::new_form, Bench;
    get "/vendors/{id}" => vendors::show, Read;
    get "/vendors/{id}/edit" => vendors::edit_form, Bench;
    post "/vendors/{id}/edit" => vendors::update, Bench;
    get "/recycling-factors" => lots::factors, Read;
    post "/recycling-factors" => lots::set_factor, ManageFactors;
    get "/sites" => sites::list, Read;
    post "/sites" => sites::create, RegistryWrite;
    get "/sites/new" => sites::new_form, RegistryWrite;
    get "/sites/{id}" => sites::show, Read;
    get "/sites/{id}/edit" => sites::edit_form, RegistryWrite;
    post "/sites/{id}/edit" => sites::update, RegistryWrite;
    get "/models" => models::list, Read;
    post "/models" => models::create, RegistryWrite;
    get "/models/new" => models::new_form, RegistryWrite;
    get "/models/{id}" => models::show, Read;
    get "/models/{id}/edit" => models::edit_form, RegistryWrite;
    post "/models/{id}/edit" => models::update, RegistryWrite;
    get "/admin/users" => users::list, ManageUsers;
    post "/admin/users" => users::create, ManageUsers;
    post "/admin/users/{id}" => users::update, ManageUsers;
    post "/admin/users/{id}/password" => users::set_temporary_password, ManageUsers;
    get "/audit" => audit::list, ReadAudit;
    get "/audit/verify" => audit::verify, ReadAudit;
}
