//! Any text as the list page's query string: decoded or refused, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reloop::assets::AssetQuery;
use reloop::web::extract::parse_query;

fuzz_target!(|query: &str| {
    let _ = parse_query::<AssetQuery>(query);
});
