//! One module per subcommand.

pub mod schema;
pub mod synth;
pub mod validate;
