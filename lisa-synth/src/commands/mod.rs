//! One module per subcommand. Each returns a [`CommandResult`](lisa_synth::CommandResult),
//! writes its product with [`product`](lisa_synth::product) and everything else through
//! [`Diagnostics`](lisa_synth::Diagnostics).

pub mod ls;
pub mod schema;
pub mod synth;
pub mod validate;
