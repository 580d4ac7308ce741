//! The built-in policies: the files of `rules/`, embedded in the binary, in
//! sets the config turns on (`policies.sets`). A test checks that every
//! file of `rules/` is listed here and that each one compiles cleanly.

/// One embedded policy file.
#[derive(Debug)]
pub struct Builtin {
    /// The set (`rules/<set>/`).
    pub set: &'static str,
    pub file: &'static str,
    pub text: &'static str,
}

/// The sets, in the order `shipshape rules` lists them.
pub const SETS: [&str; 3] = [
    "pod-security-baseline",
    "pod-security-restricted",
    "best-practices",
];

/// Every built-in policy file, by set, then by name.
pub static FILES: &[Builtin] = &[
    Builtin {
        set: "pod-security-baseline",
        file: "disallow-capabilities.yaml",
        text: include_str!("../../rules/pod-security-baseline/disallow-capabilities.yaml"),
    },
    Builtin {
        set: "pod-security-baseline",
        file: "disallow-host-namespaces.yaml",
        text: include_str!("../../rules/pod-security-baseline/disallow-host-namespaces.yaml"),
    },
    Builtin {
        set: "pod-security-baseline",
        file: "disallow-host-path.yaml",
        text: include_str!("../../rules/pod-security-baseline/disallow-host-path.yaml"),
    },
    Builtin {
        set: "pod-security-baseline",
        file: "disallow-host-ports.yaml",
        text: include_str!("../../rules/pod-security-baseline/disallow-host-ports.yaml"),
    },
    Builtin {
        set: "pod-security-baseline",
        file: "disallow-host-process.yaml",
        text: include_str!("../../rules/pod-security-baseline/disallow-host-process.yaml"),
    },
    Builtin {
        set: "pod-security-baseline",
        file: "disallow-privileged-containers.yaml",
        text: include_str!("../../rules/pod-security-baseline/disallow-privileged-containers.yaml"),
    },
    Builtin {
        set: "pod-security-baseline",
        file: "disallow-proc-mount.yaml",
        text: include_str!("../../rules/pod-security-baseline/disallow-proc-mount.yaml"),
    },
    Builtin {
        set: "pod-security-baseline",
        file: "disallow-selinux.yaml",
        text: include_str!("../../rules/pod-security-baseline/disallow-selinux.yaml"),
    },
    Builtin {
        set: "pod-security-baseline",
        file: "restrict-apparmor.yaml",
        text: include_str!("../../rules/pod-security-baseline/restrict-apparmor.yaml"),
    },
    Builtin {
        set: "pod-security-baseline",
        file: "restrict-seccomp.yaml",
        text: include_str!("../../rules/pod-security-baseline/restrict-seccomp.yaml"),
    },
    Builtin {
        set: "pod-security-baseline",
        file: "restrict-sysctls.yaml",
        text: include_str!("../../rules/pod-security-baseline/restrict-sysctls.yaml"),
    },
    Builtin {
        set: "pod-security-restricted",
        file: "disallow-privilege-escalation.yaml",
        text: include_str!(
            "../../rules/pod-security-restricted/disallow-privilege-escalation.yaml"
        ),
    },
    Builtin {
        set: "pod-security-restricted",
        file: "require-drop-all-capabilities.yaml",
        text: include_str!(
            "../../rules/pod-security-restricted/require-drop-all-capabilities.yaml"
        ),
    },
    Builtin {
        set: "pod-security-restricted",
        file: "require-non-root-user.yaml",
        text: include_str!("../../rules/pod-security-restricted/require-non-root-user.yaml"),
    },
    Builtin {
        set: "pod-security-restricted",
        file: "require-run-as-non-root.yaml",
        text: include_str!("../../rules/pod-security-restricted/require-run-as-non-root.yaml"),
    },
    Builtin {
        set: "pod-security-restricted",
        file: "require-seccomp.yaml",
        text: include_str!("../../rules/pod-security-restricted/require-seccomp.yaml"),
    },
    Builtin {
        set: "pod-security-restricted",
        file: "restrict-volume-types.yaml",
        text: include_str!("../../rules/pod-security-restricted/restrict-volume-types.yaml"),
    },
    Builtin {
        set: "best-practices",
        file: "disallow-default-namespace.yaml",
        text: include_str!("../../rules/best-practices/disallow-default-namespace.yaml"),
    },
    Builtin {
        set: "best-practices",
        file: "require-labels.yaml",
        text: include_str!("../../rules/best-practices/require-labels.yaml"),
    },
    Builtin {
        set: "best-practices",
        file: "require-probes.yaml",
        text: include_str!("../../rules/best-practices/require-probes.yaml"),
    },
    Builtin {
        set: "best-practices",
        file: "require-read-only-root-filesystem.yaml",
        text: include_str!("../../rules/best-practices/require-read-only-root-filesystem.yaml"),
    },
    Builtin {
        set: "best-practices",
        file: "require-requests-limits.yaml",
        text: include_str!("../../rules/best-practices/require-requests-limits.yaml"),
    },
];

impl Builtin {
    /// The path `shipshape rule` names it by.
    pub fn path(&self) -> String {
        format!("rules/{}/{}", self.set, self.file)
    }
}
