//! libFuzzer target `shell`: see `shipshape_fuzz::check_shell`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = shipshape_fuzz::check_shell(data) {
        panic!("property violated: {e}");
    }
});
