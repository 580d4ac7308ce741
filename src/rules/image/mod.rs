//! Rules about container images: pinning and registries.
mod helm;
pub mod unpinned_image;
pub mod untrusted_registry;
