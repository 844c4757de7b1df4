//! One module per subcommand.

pub mod aws_common;
pub mod bootstrap;
pub mod fleet;
pub mod models;
pub mod schema;
pub mod synth;
pub mod validate;
