//! One module per operator command, over `lisa-deploy` (and `lisa-api` for `serve`). Inputs are
//! read and problems reported through `lisa-synth`'s gate, exactly as `lisa-synth` does.

pub mod aws_common;
pub mod bootstrap;
pub mod fleet;
pub mod models;
pub mod progress;
pub mod serve;
