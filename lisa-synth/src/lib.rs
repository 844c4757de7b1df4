//! What both commands, `lisa-synth` and `lisa-ops`, share: reading model definitions (files,
//! folders, standard input) through one gate (validation, regions, duplicate ids, the
//! template's size), reporting their problems, writing the product and ending with the same
//! exit codes.
//!
//! It depends on no AWS SDK, HTTP stack or async runtime, and no command-line parser: each
//! command's flags are its own binary's.

mod gate;
mod inputs;
mod output;
mod parallel;
mod render;
mod yaml;

pub use gate::{
    InputSpec, Inputs, Writes, check_options, definition_file, definitions, diagnostics_for,
    payload_file, synthesize, synthesize_each, updates,
};
pub use output::{
    CommandResult, Diagnostics, EXIT_CODES_HELP, EXIT_USAGE, ErrorFormat, Failure, product,
};
pub use render::{Rendered, TemplateFormat};
