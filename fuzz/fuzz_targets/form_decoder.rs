//! Any bytes as a submitted form's body: the hygiene check and the decoder never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reloop::assets::AssetQuery;
use reloop::lifecycle::TransitionRequest;
use reloop::web::extract::parse_form;

fuzz_target!(|data: &[u8]| {
    let _ = parse_form::<AssetQuery>(data);
    let _ = parse_form::<TransitionRequest>(data);
});
