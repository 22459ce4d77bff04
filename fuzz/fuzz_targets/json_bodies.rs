//! Any bytes as the JSON body of registering an item, editing one, or moving one: decoded
//! without a panic (an error names the field or says the body is not JSON).
#![no_main]

use libfuzzer_sys::fuzz_target;
use reloop::assets::{AssetPatch, NewAsset};
use reloop::lifecycle::TransitionRequest;
use reloop::web::extract::parse_json;

fuzz_target!(|data: &[u8]| {
    let _ = parse_json::<NewAsset>(data);
    let _ = parse_json::<AssetPatch>(data);
    let _ = parse_json::<TransitionRequest>(data);
});
