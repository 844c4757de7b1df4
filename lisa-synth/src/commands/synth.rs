//! `lisa-synth synth`: model definitions in, CloudFormation templates out, all or nothing.

use crate::cli::{SynthArgs, TemplateFormat};
use crate::gate::{self, Rendered};
use crate::output::{self, Diagnostics, Failure, Outcome};
use lisa_constructs::ecs_model::{Lifecycle, StackOptions};
use lisa_constructs::model::bounds;
use std::path::{Path, PathBuf};

pub fn run(args: &SynthArgs, diagnostics: Diagnostics) -> Outcome {
    let diagnostics = gate::diagnostics_for(args.input.error_format, diagnostics);
    let options = StackOptions {
        deployment_name: args.names.deployment_name.clone(),
        lifecycle: if args.stopped {
            Lifecycle::Stopped
        } else {
            Lifecycle::Running
        },
        https: args.https,
        // A create deployment passes the definition's count; a synthesized file leaves it out.
        desired_capacity: None,
    };
    let stacks = gate::synthesize(&args.input, &options, args.format, diagnostics)?;
    if stacks.len() > 1 && args.out.is_none() {
        return Err(Failure::Usage(format!(
            "{} model definitions: give --out DIR to write one template each",
            stacks.len()
        )));
    }
    for stack in &stacks {
        if stack.text.len() > bounds::TEMPLATE_INLINE_MAX_BYTES {
            diagnostics.note(format_args!(
                "{}: the template is {} bytes, over CloudFormation's {}-byte limit for a template \
                 sent inline: upload it to S3 and deploy it by URL",
                stack.name,
                stack.text.len(),
                bounds::TEMPLATE_INLINE_MAX_BYTES
            ));
        }
    }
    match &args.out {
        None => match stacks.first() {
            Some(stack) => output::product(stack.text.as_bytes()),
            None => Err(Failure::Usage("nothing to synthesize".into())),
        },
        Some(dir) => {
            write_all(dir, &stacks, args.format)?;
            diagnostics.note(format_args!(
                "wrote {} template(s) to {}",
                stacks.len(),
                dir.display()
            ));
            Ok(())
        }
    }
}

/// Writes every template into a temporary folder, then moves them in: a template that cannot
/// be written leaves `dir` as it was. The folder is on `dir`'s own file system, so no move
/// crosses one: inside `dir` when it exists (it may be a mount point, such as a container's
/// volume, or a link to another disk), beside it otherwise.
fn write_all(dir: &Path, stacks: &[Rendered], format: TemplateFormat) -> Outcome {
    let io = |what: &Path, e: std::io::Error| Failure::Io(format!("{}: {e}", what.display()));
    if dir.exists() && !dir.is_dir() {
        return Err(Failure::Usage(format!(
            "--out {}: exists and is not a directory",
            dir.display()
        )));
    }
    let home = if dir.is_dir() {
        dir.to_path_buf()
    } else {
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| io(&parent, e))?;
        parent
    };
    let staging = tempfile::Builder::new()
        .prefix(".lisa-synth-")
        .tempdir_in(&home)
        .map_err(|e| io(&home, e))?;
    let file_name = |stack: &Rendered| format!("{}.{}", stack.name, format.extension());
    gate::parallel_map(stacks, |stack| {
        let path = staging.path().join(file_name(stack));
        std::fs::write(&path, &stack.text).map_err(|e| {
            Failure::Io(format!(
                "cannot write {}: {e}",
                dir.join(file_name(stack)).display()
            ))
        })
    })
    .into_iter()
    .collect::<Result<Vec<()>, Failure>>()?;
    if !dir.exists() {
        // One rename: the directory appears with every template in it.
        let staged = staging.keep();
        return std::fs::rename(&staged, dir).map_err(|e| {
            let _ = std::fs::remove_dir_all(&staged);
            io(dir, e)
        });
    }
    for stack in stacks {
        let target = dir.join(file_name(stack));
        if target.is_dir() {
            return Err(Failure::Io(format!(
                "cannot write {}: a directory is in the way",
                target.display()
            )));
        }
    }
    for stack in stacks {
        let name = file_name(stack);
        std::fs::rename(staging.path().join(&name), dir.join(&name))
            .map_err(|e| io(&dir.join(&name), e))?;
    }
    Ok(())
}
