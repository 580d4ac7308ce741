//! libFuzzer target `config`: see `shipshape_fuzz::check_config`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = shipshape_fuzz::check_config(data) {
        panic!("property violated: {e}");
    }
});
