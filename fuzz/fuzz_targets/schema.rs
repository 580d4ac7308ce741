//! libFuzzer target `schema`: see `shipshape_fuzz::check_schema`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = shipshape_fuzz::check_schema(data) {
        panic!("property violated: {e}");
    }
});
