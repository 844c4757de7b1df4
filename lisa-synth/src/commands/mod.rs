//! One module per subcommand. Each returns an [`Outcome`](crate::output::Outcome), writes its
//! product with [`output::product`](crate::output::product) and everything else through
//! [`Diagnostics`](crate::output::Diagnostics).

pub mod ls;
pub mod schema;
pub mod synth;
pub mod validate;
