//! Any text as a policy pack: parsed and checked, or refused with its problems (line,
//! field, reason), never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = reloop::policy::pack::parse(text);
});
