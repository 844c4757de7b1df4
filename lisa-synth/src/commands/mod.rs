//! One module per subcommand. Each returns an [`Outcome`](crate::output::Outcome), writes its
//! product with [`output::product`](crate::output::product) and everything else through
//! [`Diagnostics`](crate::output::Diagnostics).

pub mod aws_common;
pub mod bootstrap;
pub mod fleet;
pub mod ls;
pub mod models;
pub mod schema;
pub mod serve;
pub mod synth;
pub mod validate;
