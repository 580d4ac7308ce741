//! Rules about container images: pinning and registries.
pub mod unpinned_image;
pub mod untrusted_registry;
