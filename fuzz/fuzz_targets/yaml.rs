//! libFuzzer target `yaml`: see `shipshape_fuzz::check_yaml`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = shipshape_fuzz::check_yaml(data) {
        panic!("property violated: {e}");
    }
});
