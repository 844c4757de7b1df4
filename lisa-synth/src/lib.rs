//! The synthesizer behind the `lisa-synth` command: read model definitions (files, folders,
//! standard input), pass them through one gate (validation, regions, duplicate ids, the
//! template's size), and write templates, all with the same streams and exit codes.
//!
//! It depends on no AWS SDK, HTTP stack or async runtime, so the command builds in about a
//! minute. `lisa-ops`, the operator command (bootstrap, models, diff, deploy, serve), reuses
//! these parts so that both commands read inputs and report problems the same way.

pub mod cli;
pub mod commands;
pub mod gate;
pub mod inputs;
pub mod output;
pub mod parallel;
pub mod yaml;
