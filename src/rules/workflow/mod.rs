//! Rules about CI workflows (GitHub Actions, Azure Pipelines) and what they deploy.
pub mod mode;
pub mod pull_mode_cluster_credentials;
pub mod unresolved_template;
pub mod workflow_image_mismatch;
