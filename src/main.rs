#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

// mimalloc's runtime options (`mi_option_e` of mimalloc v3, the version
// libmimalloc-sys builds by default).
extern "C" {
    fn mi_option_set(option: i32, value: std::ffi::c_long);
}
const MI_OPTION_ARENA_EAGER_COMMIT: i32 = 4;
const MI_OPTION_PURGE_DELAY: i32 = 15;
const MI_OPTION_ALLOW_THP: i32 = 43;

#[cfg(target_os = "linux")]
extern "C" {
    fn prctl(option: std::ffi::c_int, ...) -> std::ffi::c_int;
}
#[cfg(target_os = "linux")]
const PR_SET_THP_DISABLE: std::ffi::c_int = 41;

fn main() {
    // Bounded memory: files of every size are read and freed in turn, and by
    // default mimalloc keeps freed memory committed for a while (and commits
    // arenas eagerly). Measured on the corpus manifests: peak RSS 102 -> 53 MB
    // for no measurable time. SAFETY: setting an option is always sound.
    // `MIMALLOC_*` environment variables still win (for measuring).
    let default = |option: i32, var: &str, value: std::ffi::c_long| {
        if std::env::var_os(var).is_none() {
            unsafe { mi_option_set(option, value) }
        }
    };
    default(
        MI_OPTION_ARENA_EAGER_COMMIT,
        "MIMALLOC_ARENA_EAGER_COMMIT",
        0,
    );
    default(MI_OPTION_PURGE_DELAY, "MIMALLOC_PURGE_DELAY", 0);
    default(MI_OPTION_ALLOW_THP, "MIMALLOC_ALLOW_THP", 0);
    // No transparent huge pages: mimalloc advises them on its arenas, and with
    // memory returned at once every re-used region was faulted in and zeroed
    // 2 MiB at a time (14% of a corpus run was `clear_page_erms` under
    // `do_huge_pmd_anonymous_page`). The option above stops the advice on new
    // mappings; the prctl covers those made before `main`. Measured on the
    // corpus manifests (JSON output): 1.25 -> 1.08 s, peak RSS 90 -> 77 MB.
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments and only sets a
    // flag on this process; a failure (old kernel) changes nothing.
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        let zero: std::ffi::c_ulong = 0;
        unsafe { prctl(PR_SET_THP_DISABLE, 1 as std::ffi::c_ulong, zero, zero, zero) };
    }
    std::process::exit(shipshape::cli::main());
}
