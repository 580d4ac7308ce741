//! libFuzzer target `lint`: see `shipshape_fuzz::check_lint`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = shipshape_fuzz::check_lint(data) {
        panic!("property violated: {e}");
    }
});
