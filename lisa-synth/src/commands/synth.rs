//! `lisa-synth synth`: model definitions in, CloudFormation templates out, all or nothing.

use crate::cli::SynthArgs;
use lisa_constructs::ecs_model::{RunState, StackOptions};
use lisa_constructs::model::bounds;
use lisa_synth::{CommandResult, Diagnostics, Failure, Inputs, Rendered, TemplateFormat, Writes};
use std::path::{Path, PathBuf};

pub fn run(args: &SynthArgs, diagnostics: Diagnostics) -> CommandResult {
    let input = args.input.spec();
    let format = TemplateFormat::from(args.format);
    let diagnostics = lisa_synth::diagnostics_for(input.error_format, diagnostics);
    let options = StackOptions {
        deployment_name: args.names.deployment_name.clone(),
        run_state: if args.stopped {
            RunState::Stopped
        } else {
            RunState::Running
        },
        https: args.https,
        // A create deployment passes the definition's count; a synthesized file leaves it out.
        desired_capacity: None,
    };
    lisa_synth::check_options(&options)?;
    let inputs = Inputs::gather(&input, diagnostics)?.writing(Writes::Templates);
    let Some(dir) = &args.out else {
        if inputs.count() > 1 {
            // Problems in the inputs come first, as they do with --out.
            inputs.definitions(diagnostics)?;
            return Err(Failure::Usage(format!(
                "{} model definitions: give --out DIR to write one template each",
                inputs.count()
            )));
        }
        let stacks = lisa_synth::synthesize_each(&inputs, &options, format, diagnostics, Ok)?;
        let Some(stack) = stacks.first() else {
            return Err(Failure::Usage("nothing to synthesize".into()));
        };
        note_if_too_large_to_send(&stack.name, stack.text.len(), diagnostics);
        return lisa_synth::product(stack.text.as_bytes());
    };
    // Each template is stored as soon as it is rendered, then all of them move in at once.
    let staging = Staging::new(dir, format)?;
    let written = lisa_synth::synthesize_each(&inputs, &options, format, diagnostics, |stack| {
        staging.write(&stack)
    })?;
    for (name, size) in &written {
        note_if_too_large_to_send(name, *size, diagnostics);
    }
    staging.move_in(written.iter().map(|(name, _)| name.as_str()))?;
    diagnostics.note(format_args!(
        "wrote {} template(s) to {}",
        written.len(),
        dir.display()
    ));
    Ok(())
}

fn note_if_too_large_to_send(name: &str, size: usize, diagnostics: Diagnostics) {
    if size > bounds::TEMPLATE_INLINE_MAX_BYTES {
        diagnostics.note(format_args!(
            "{name}: the template is {size} bytes, over CloudFormation's {}-byte limit for a \
             template sent inline: upload it to S3 and deploy it by URL",
            bounds::TEMPLATE_INLINE_MAX_BYTES
        ));
    }
}

/// A temporary folder the templates are written into before they move into `--out`: a template
/// that cannot be written leaves the file system as it was, with no folder created. The folder
/// is on the destination's own file system, so no move crosses one: inside it when it exists (it
/// may be a mount point, such as a container's volume, or a link to another disk), else in its
/// nearest existing ancestor, where the missing folders will be made.
struct Staging {
    dir: PathBuf,
    folder: tempfile::TempDir,
    format: TemplateFormat,
}

impl Staging {
    fn new(dir: &Path, format: TemplateFormat) -> Result<Staging, Failure> {
        if dir.exists() && !dir.is_dir() {
            return Err(Failure::Usage(format!(
                "--out {}: exists and is not a directory",
                dir.display()
            )));
        }
        let home = dir
            .ancestors()
            .find(|p| p.is_dir())
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let folder = tempfile::Builder::new()
            .prefix(".lisa-synth-")
            .tempdir_in(home)
            .map_err(|e| io(home, e))?;
        Ok(Staging {
            dir: dir.to_path_buf(),
            folder,
            format,
        })
    }

    fn file_name(&self, stack_name: &str) -> String {
        format!("{stack_name}.{}", self.format.extension())
    }

    /// Stores one template; answers its stack name and size.
    fn write(&self, stack: &Rendered) -> Result<(String, usize), Failure> {
        let name = self.file_name(&stack.name);
        std::fs::write(self.folder.path().join(&name), &stack.text).map_err(|e| {
            Failure::Io(format!(
                "cannot write {}: {e}",
                self.dir.join(&name).display()
            ))
        })?;
        Ok((stack.name.clone(), stack.text.len()))
    }

    /// Moves the stored templates into the destination: the whole folder in one rename when
    /// the destination does not exist yet, else one file at a time, once none is in the way.
    fn move_in<'a>(self, stack_names: impl Iterator<Item = &'a str> + Clone) -> CommandResult {
        let dir = &self.dir;
        if !dir.exists() {
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
            }
            let staged = self.folder.keep();
            return std::fs::rename(&staged, dir).map_err(|e| {
                let _ = std::fs::remove_dir_all(&staged);
                io(dir, e)
            });
        }
        for stack_name in stack_names.clone() {
            let target = dir.join(self.file_name(stack_name));
            if target.is_dir() {
                return Err(Failure::Io(format!(
                    "cannot write {}: a directory is in the way",
                    target.display()
                )));
            }
        }
        for stack_name in stack_names {
            let name = self.file_name(stack_name);
            std::fs::rename(self.folder.path().join(&name), dir.join(&name))
                .map_err(|e| io(&dir.join(&name), e))?;
        }
        Ok(())
    }
}

fn io(what: &Path, e: std::io::Error) -> Failure {
    Failure::Io(format!("{}: {e}", what.display()))
}
