//! A synthesized stack as template text: JSON or YAML, ending with a newline, within
//! CloudFormation's size limit.

use crate::inputs::{FileProblem, Source};
use lisa_constructs::ecs_model::{self, StackOptions};
use lisa_constructs::model::{ValidDefinition, bounds};

/// The format templates are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateFormat {
    /// Pretty-printed JSON.
    Json,
    /// YAML (long-form intrinsic functions, e.g. `Fn::Sub:`).
    Yaml,
}

impl TemplateFormat {
    /// The file extension of a template in this format.
    pub fn extension(self) -> &'static str {
        match self {
            TemplateFormat::Json => "template.json",
            TemplateFormat::Yaml => "template.yaml",
        }
    }
}

/// One synthesized stack: its name and its template text (ending with a newline).
#[derive(Debug)]
pub struct Rendered {
    /// The stack's name.
    pub name: String,
    /// The template.
    pub text: String,
}

/// The stack of `definition` synthesized and rendered in `format`, or the problem of `source`
/// that prevents it.
pub(crate) fn stack(
    source: &Source,
    definition: &ValidDefinition,
    options: &StackOptions,
    format: TemplateFormat,
) -> Result<Rendered, FileProblem> {
    let problem = |message: String| FileProblem::new(source, "", message);
    let stack = ecs_model::synthesize_valid(definition, options)
        .map_err(|e| problem(format!("cannot synthesize: {e}")))?;
    let mut text = match format {
        TemplateFormat::Json => stack.template.to_json_string().map_err(|e| e.to_string()),
        TemplateFormat::Yaml => crate::yaml::to_string(&stack.template),
    }
    .map_err(|e| problem(format!("cannot render the template: {e}")))?;
    // A file and standard output get the same bytes: a text file ends with a newline.
    if !text.ends_with('\n') {
        text.push('\n');
    }
    if text.len() > bounds::TEMPLATE_MAX_BYTES {
        return Err(problem(format!(
            "the template would be {} bytes, over CloudFormation's limit of {} bytes",
            text.len(),
            bounds::TEMPLATE_MAX_BYTES
        )));
    }
    Ok(Rendered {
        name: stack.name.to_string(),
        text,
    })
}
