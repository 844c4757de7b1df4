//! The CloudFormation template document: parameters, rules, conditions, resources, outputs.

use std::any::Any;
use std::fmt;
use std::io;

use super::OrderedMap;
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeStruct, Serializer};
use serde_json::Value;
use serde_json::ser::{CompactFormatter, Formatter};

use super::condition::Condition;
use super::expr::Expr;
use super::json_writer::{JsonWriter, WriteError};
use super::references::{ReferenceTo, References};
use super::shape::{Shape, shape};
use super::values::Integer;
use super::{CfnError, ResourceProperties};

/// The only template format version CloudFormation knows.
pub const FORMAT_VERSION: &str = "2010-09-09";

/// A whole CloudFormation template. Every map keeps insertion order, so the same construction
/// always renders the same bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// Always [`FORMAT_VERSION`].
    pub format_version: String,
    /// Free text shown in the console (at most 1024 bytes).
    pub description: Option<String>,
    /// Template-level metadata.
    pub metadata: OrderedMap<Value>,
    /// Input parameters by name.
    pub parameters: OrderedMap<Parameter>,
    /// Named rules: assertions on the parameter values, checked before any resource changes.
    pub rules: OrderedMap<Rule>,
    /// Named conditions.
    pub conditions: OrderedMap<Condition>,
    /// Resources by logical id.
    pub resources: OrderedMap<Resource>,
    /// Outputs by name.
    pub outputs: OrderedMap<Output>,
}

impl Default for Template {
    fn default() -> Self {
        Template {
            format_version: FORMAT_VERSION.to_owned(),
            description: None,
            metadata: OrderedMap::default(),
            parameters: OrderedMap::default(),
            rules: OrderedMap::default(),
            conditions: OrderedMap::default(),
            resources: OrderedMap::default(),
            outputs: OrderedMap::default(),
        }
    }
}

impl Template {
    /// An empty template.
    pub fn new() -> Template {
        Template::default()
    }

    /// The template as a JSON value.
    pub fn to_json(&self) -> Result<Value, CfnError> {
        serde_json::to_value(self).map_err(CfnError::Serialize)
    }

    /// The template as pretty-printed JSON text.
    pub fn to_json_string(&self) -> Result<String, CfnError> {
        text_of(self.render(Indented::default())?)
    }

    /// The template as compact JSON text, as it is sent to CloudFormation.
    pub fn to_compact_json_string(&self) -> Result<String, CfnError> {
        text_of(self.render(CompactFormatter)?)
    }

    /// Writes the template as pretty-printed JSON (two-space indents) to `writer`, in one write.
    pub fn write_json<W: io::Write>(&self, mut writer: W) -> Result<(), CfnError> {
        let text = self.render(Indented::default())?;
        writer.write_all(&text).map_err(CfnError::Write)
    }

    /// Writes the template as compact JSON to `writer`, in one write.
    pub fn write_compact_json<W: io::Write>(&self, mut writer: W) -> Result<(), CfnError> {
        let text = self.render(CompactFormatter)?;
        writer.write_all(&text).map_err(CfnError::Write)
    }

    /// The JSON text in `layout`. Written as [`Serialize`] writes it, except that each
    /// resource's properties go through their own type's serializer for `layout` (see
    /// [`Layout`]) rather than through `erased_serde`.
    fn render<F: Layout>(&self, layout: F) -> Result<Vec<u8>, CfnError> {
        // Sized for the whole text up front (about a kilobyte per resource): growing the buffer
        // from empty would copy it a dozen times.
        let text = Vec::with_capacity(2048 + 1280 * self.resources.len());
        let mut out = JsonWriter::new(text, layout);
        let mut sections = (&mut out)
            .serialize_struct("Template", self.section_count())
            .map_err(write_error)?;
        self.sections(&mut sections, |sections| {
            sections.entry_with("Resources", |out| {
                let mut resources = out.serialize_map(Some(self.resources.len()))?;
                for (id, resource) in &self.resources {
                    resources.entry_with(id, |out| resource.render(out))?;
                }
                SerializeMap::end(resources)
            })
        })
        .map_err(write_error)?;
        SerializeStruct::end(sections).map_err(write_error)?;
        Ok(out.into_inner())
    }

    /// How many sections [`sections`](Self::sections) writes.
    fn section_count(&self) -> usize {
        2 + usize::from(self.description.is_some())
            + usize::from(!self.metadata.is_empty())
            + usize::from(!self.parameters.is_empty())
            + usize::from(!self.rules.is_empty())
            + usize::from(!self.conditions.is_empty())
            + usize::from(!self.outputs.is_empty())
    }

    /// Writes the sections to `sections` in template order, leaving out empty ones;
    /// `resources` writes the `Resources` section.
    fn sections<S: SerializeStruct>(
        &self,
        sections: &mut S,
        resources: impl FnOnce(&mut S) -> Result<(), S::Error>,
    ) -> Result<(), S::Error> {
        sections.serialize_field("AWSTemplateFormatVersion", &self.format_version)?;
        if let Some(description) = &self.description {
            sections.serialize_field("Description", description)?;
        }
        if !self.metadata.is_empty() {
            sections.serialize_field("Metadata", &self.metadata)?;
        }
        if !self.parameters.is_empty() {
            sections.serialize_field("Parameters", &self.parameters)?;
        }
        if !self.rules.is_empty() {
            sections.serialize_field("Rules", &self.rules)?;
        }
        if !self.conditions.is_empty() {
            sections.serialize_field("Conditions", &self.conditions)?;
        }
        resources(sections)?;
        if !self.outputs.is_empty() {
            sections.serialize_field("Outputs", &self.outputs)?;
        }
        Ok(())
    }

    /// The resources of one type (e.g. `"AWS::ECS::Service"`), in template order.
    pub fn resources_of_type<'a>(
        &'a self,
        resource_type: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a Resource)> + 'a {
        self.resources
            .iter()
            .filter(move |(_, r)| r.resource_type() == resource_type)
    }

    /// The resources whose properties are a `P`, with their logical ids, in template order.
    pub fn properties_of<P: ResourceProperties>(&self) -> impl Iterator<Item = (&str, &P)> + '_ {
        self.resources
            .iter()
            .filter_map(|(id, r)| Some((id.as_str(), r.properties::<P>()?)))
    }
}

impl Serialize for Template {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut sections = serializer.serialize_struct("Template", self.section_count())?;
        self.sections(&mut sections, |sections| {
            sections.serialize_field("Resources", &self.resources)
        })?;
        sections.end()
    }
}

/// A layout the template is rendered in. Every properties type is monomorphized for each layout
/// (see [`AnyProperties`]), so its fields are written by direct calls: through `erased_serde`
/// each field, string and number was a virtual call, a tenth of a synthesis.
trait Layout: Formatter + Sized {
    fn write_properties(
        properties: &dyn AnyProperties,
        out: &mut JsonWriter<Self>,
    ) -> Result<(), WriteError>;
}

impl Layout for Indented {
    fn write_properties(
        properties: &dyn AnyProperties,
        out: &mut JsonWriter<Self>,
    ) -> Result<(), WriteError> {
        properties.write_indented(out)
    }
}

impl Layout for CompactFormatter {
    fn write_properties(
        properties: &dyn AnyProperties,
        out: &mut JsonWriter<Self>,
    ) -> Result<(), WriteError> {
        properties.write_compact(out)
    }
}

/// A failure of the writer is the writer's; anything else is a rendering failure.
fn write_error(e: WriteError) -> CfnError {
    match e {
        WriteError::Io(e) => CfnError::Write(e),
        WriteError::Value(message) => CfnError::Serialize(serde::ser::Error::custom(message)),
    }
}

/// serde_json writes only UTF-8.
fn text_of(bytes: Vec<u8>) -> Result<String, CfnError> {
    String::from_utf8(bytes)
        .map_err(|e| CfnError::Serialize(serde::ser::Error::custom(format!("not UTF-8: {e}"))))
}

/// serde_json's pretty layout (two-space indents, `": "` after keys, `[]` and `{}` when
/// empty), with each line break and its indent written at once rather than a write per level.
#[derive(Debug, Default)]
struct Indented {
    level: usize,
    has_value: bool,
}

impl Indented {
    fn new_line<W: ?Sized + io::Write>(&self, w: &mut W) -> io::Result<()> {
        const LINE: &[u8] = b"\n                                                                ";
        let mut width = 2 * self.level;
        let first = width.min(LINE.len() - 1);
        w.write_all(&LINE[..1 + first])?;
        width -= first;
        while width > 0 {
            let more = width.min(LINE.len() - 1);
            w.write_all(&LINE[1..1 + more])?;
            width -= more;
        }
        Ok(())
    }

    fn open<W: ?Sized + io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.new_line(w)?;
        }
        w.write_all(bracket)
    }

    fn item<W: ?Sized + io::Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.new_line(w)
    }
}

impl serde_json::ser::Formatter for Indented {
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.item(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.item(w, first)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod layout_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn indented_writes_what_serde_jsons_pretty_printer_writes() {
        let deep = (0..80).fold(
            json!("leaf"),
            |inner, i| json!({ format!("k{i}"): [inner, {}] }),
        );
        for value in [
            json!({}),
            json!([]),
            json!({"a": [], "b": {}, "c": [1, {"d": null}], "e": "x"}),
            deep,
        ] {
            let mut ours = Vec::new();
            value
                .serialize(&mut serde_json::Serializer::with_formatter(
                    &mut ours,
                    Indented::default(),
                ))
                .expect("JSON");
            let theirs = serde_json::to_vec_pretty(&value).expect("JSON");
            assert_eq!(String::from_utf8(ours), String::from_utf8(theirs));
        }
    }
}

/// The type of a template parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParameterType {
    /// `String`
    String,
    /// `Number`
    Number,
    /// `List<Number>`
    NumberList,
    /// `CommaDelimitedList`
    CommaDelimitedList,
    /// `AWS::EC2::VPC::Id`
    VpcId,
    /// `AWS::EC2::Subnet::Id`
    SubnetId,
    /// `List<AWS::EC2::Subnet::Id>`
    SubnetIdList,
    /// `AWS::EC2::SecurityGroup::Id`
    SecurityGroupId,
    /// `List<AWS::EC2::SecurityGroup::Id>`
    SecurityGroupIdList,
    /// `AWS::EC2::Image::Id`
    ImageId,
    /// `AWS::EC2::KeyPair::KeyName`
    KeyPairName,
    /// `AWS::SSM::Parameter::Name`
    SsmParameterName,
    /// `AWS::SSM::Parameter::Value<String>`
    SsmString,
    /// `AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>`: an AMI id resolved from SSM at deploy time.
    SsmImageId,
}

impl ParameterType {
    /// The CloudFormation spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ParameterType::String => "String",
            ParameterType::Number => "Number",
            ParameterType::NumberList => "List<Number>",
            ParameterType::CommaDelimitedList => "CommaDelimitedList",
            ParameterType::VpcId => "AWS::EC2::VPC::Id",
            ParameterType::SubnetId => "AWS::EC2::Subnet::Id",
            ParameterType::SubnetIdList => "List<AWS::EC2::Subnet::Id>",
            ParameterType::SecurityGroupId => "AWS::EC2::SecurityGroup::Id",
            ParameterType::SecurityGroupIdList => "List<AWS::EC2::SecurityGroup::Id>",
            ParameterType::ImageId => "AWS::EC2::Image::Id",
            ParameterType::KeyPairName => "AWS::EC2::KeyPair::KeyName",
            ParameterType::SsmParameterName => "AWS::SSM::Parameter::Name",
            ParameterType::SsmString => "AWS::SSM::Parameter::Value<String>",
            ParameterType::SsmImageId => "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
        }
    }
}

impl Serialize for ParameterType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A template input parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Parameter {
    /// The parameter type.
    #[serde(rename = "Type")]
    pub parameter_type: ParameterType,
    /// Shown to whoever deploys the stack.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Default value (CloudFormation takes defaults as strings, lists comma-separated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// The only accepted values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_values: Vec<String>,
    /// A regular expression a String value must match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_pattern: Option<String>,
    /// Shown when a constraint fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraint_description: Option<String>,
    /// Minimum length of a String value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    /// Maximum length of a String value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Minimum of a Number value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_value: Option<i64>,
    /// Maximum of a Number value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_value: Option<i64>,
    /// Mask the value in console and API output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_echo: Option<bool>,
}

impl Parameter {
    /// A parameter of the given type with no constraints.
    pub fn new(parameter_type: ParameterType) -> Parameter {
        Parameter {
            parameter_type,
            description: None,
            default: None,
            allowed_values: Vec::new(),
            allowed_pattern: None,
            constraint_description: None,
            min_length: None,
            max_length: None,
            min_value: None,
            max_value: None,
            no_echo: None,
        }
    }

    /// Sets `Description`.
    pub fn description(mut self, text: impl Into<String>) -> Parameter {
        self.description = Some(text.into());
        self
    }

    /// Sets `Default`.
    pub fn default_value(mut self, value: impl Into<String>) -> Parameter {
        self.default = Some(value.into());
        self
    }

    /// Sets `AllowedValues`.
    pub fn allowed_values<S: Into<String>>(
        mut self,
        values: impl IntoIterator<Item = S>,
    ) -> Parameter {
        self.allowed_values = values.into_iter().map(Into::into).collect();
        self
    }

    /// Sets `AllowedPattern` and its `ConstraintDescription`.
    pub fn allowed_pattern(
        mut self,
        pattern: impl Into<String>,
        constraint_description: impl Into<String>,
    ) -> Parameter {
        self.allowed_pattern = Some(pattern.into());
        self.constraint_description = Some(constraint_description.into());
        self
    }

    /// Sets `NoEcho: true`.
    pub fn no_echo(mut self) -> Parameter {
        self.no_echo = Some(true);
        self
    }
}

/// An entry of the `Rules` section: when `rule_condition` holds (always, when absent), every
/// assertion must hold, or CloudFormation refuses the stack operation before it changes anything.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Rule {
    /// When the assertions apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_condition: Option<Condition>,
    /// What must hold.
    pub assertions: Vec<RuleAssertion>,
}

/// One assertion of a [`Rule`]: a condition function over parameter references.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleAssertion {
    /// The condition that must be true.
    pub assert: Condition,
    /// Shown to whoever deploys when the assertion fails.
    pub assert_description: String,
}

impl Rule {
    /// A rule that always applies, with one assertion.
    pub fn assert(assert: Condition, description: impl Into<String>) -> Rule {
        Rule {
            rule_condition: None,
            assertions: vec![RuleAssertion {
                assert,
                assert_description: description.into(),
            }],
        }
    }

    /// Applies the rule only when `condition` holds.
    pub fn when(mut self, condition: Condition) -> Rule {
        self.rule_condition = Some(condition);
        self
    }
}

/// A template output.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Output {
    /// The value.
    pub value: Expr,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Cross-stack export.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export: Option<Export>,
    /// Only output when this condition holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
}

impl Output {
    /// An output with the given value.
    pub fn new(value: impl Into<Expr>) -> Output {
        Output {
            value: value.into(),
            description: None,
            export: None,
            condition: None,
        }
    }

    /// Sets `Description`.
    pub fn description(mut self, text: impl Into<String>) -> Output {
        self.description = Some(text.into());
        self
    }

    /// Sets `Export.Name`.
    pub fn export(mut self, name: impl Into<Expr>) -> Output {
        self.export = Some(Export { name: name.into() });
        self
    }

    /// Sets `Condition`.
    pub fn condition(mut self, name: impl Into<String>) -> Output {
        self.condition = Some(name.into());
        self
    }
}

/// An output's export name.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Export {
    /// The export name (unique per account and region).
    pub name: Expr,
}

/// What happens to a resource's physical counterpart when it leaves the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum DeletionPolicy {
    /// Delete it (the default for most types).
    Delete,
    /// Keep it.
    Retain,
    /// Keep it, unless the stack creation itself failed.
    RetainExceptOnCreate,
    /// Snapshot it, then delete it (storage resources only).
    Snapshot,
}

/// A resource's `UpdatePolicy` (Auto Scaling groups).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdatePolicy {
    /// Rolling replacement of instances when the launch template changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_scaling_rolling_update: Option<AutoScalingRollingUpdate>,
    /// Replace the whole group instead of rolling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_scaling_replacing_update: Option<AutoScalingReplacingUpdate>,
    /// Keep scheduled-action sizes on updates that leave the size properties unchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_scaling_scheduled_action: Option<AutoScalingScheduledAction>,
}

/// `UpdatePolicy.AutoScalingRollingUpdate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AutoScalingRollingUpdate {
    /// Instances replaced at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_batch_size: Option<Integer>,
    /// Instances kept in service during the update.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_instances_in_service: Option<Integer>,
    /// Percentage of instances that must signal success.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_successful_instances_percent: Option<Integer>,
    /// ISO 8601 duration to wait after each batch (e.g. `PT5M`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pause_time: Option<String>,
    /// Auto Scaling processes suspended during the update.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suspend_processes: Vec<String>,
    /// Wait for cfn-signal from new instances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_on_resource_signals: Option<bool>,
}

/// `UpdatePolicy.AutoScalingReplacingUpdate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AutoScalingReplacingUpdate {
    /// Replace the group on update.
    pub will_replace: bool,
}

/// `UpdatePolicy.AutoScalingScheduledAction`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AutoScalingScheduledAction {
    /// Ignore unchanged MinSize/MaxSize/DesiredCapacity on update.
    pub ignore_unmodified_group_size_properties: bool,
}

/// One entry of the `Resources` section: the typed properties (rendered only with the whole
/// template) and the resource attributes.
pub struct Resource {
    properties: Box<dyn AnyProperties>,
    /// Logical ids this resource must wait for.
    pub depends_on: Vec<String>,
    /// Only create the resource when this condition holds.
    pub condition: Option<String>,
    /// How updates roll out (Auto Scaling groups).
    pub update_policy: Option<UpdatePolicy>,
    /// What happens on deletion.
    pub deletion_policy: Option<DeletionPolicy>,
    /// What happens to the old resource on replacement.
    pub update_replace_policy: Option<DeletionPolicy>,
    /// Resource metadata (tool annotations such as checkov skips).
    pub metadata: OrderedMap<Value>,
}

/// [`ResourceProperties`] as an object a template can hold whatever the type: rendered through
/// `erased_serde`, read back typed through `Any`.
trait AnyProperties: erased_serde::Serialize + fmt::Debug + Send + Sync {
    fn resource_type(&self) -> &str;
    fn write_indented(&self, out: &mut JsonWriter<Indented>) -> Result<(), WriteError>;
    fn write_compact(&self, out: &mut JsonWriter<CompactFormatter>) -> Result<(), WriteError>;
    fn visit_references<'a>(&'a self, visit: &mut dyn FnMut(ReferenceTo<'a>));
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    fn clone_boxed(&self) -> Box<dyn AnyProperties>;
}

impl<P: ResourceProperties> AnyProperties for P {
    fn resource_type(&self) -> &str {
        ResourceProperties::resource_type(self)
    }
    fn write_indented(&self, out: &mut JsonWriter<Indented>) -> Result<(), WriteError> {
        Serialize::serialize(self, out)
    }
    fn write_compact(&self, out: &mut JsonWriter<CompactFormatter>) -> Result<(), WriteError> {
        Serialize::serialize(self, out)
    }
    fn visit_references<'a>(&'a self, visit: &mut dyn FnMut(ReferenceTo<'a>)) {
        References::visit_references(self, visit);
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn clone_boxed(&self) -> Box<dyn AnyProperties> {
        Box::new(self.clone())
    }
}

erased_serde::serialize_trait_object!(AnyProperties);

impl fmt::Debug for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resource")
            .field("properties", &self.properties)
            .field("depends_on", &self.depends_on)
            .field("condition", &self.condition)
            .field("update_policy", &self.update_policy)
            .field("deletion_policy", &self.deletion_policy)
            .field("update_replace_policy", &self.update_replace_policy)
            .field("metadata", &self.metadata)
            .finish()
    }
}

impl Clone for Resource {
    fn clone(&self) -> Self {
        Resource {
            properties: self.properties.clone_boxed(),
            depends_on: self.depends_on.clone(),
            condition: self.condition.clone(),
            update_policy: self.update_policy.clone(),
            deletion_policy: self.deletion_policy,
            update_replace_policy: self.update_replace_policy,
            metadata: self.metadata.clone(),
        }
    }
}

/// Two resources are equal when they render the same: properties of different Rust types may
/// mean the same CloudFormation.
impl PartialEq for Resource {
    fn eq(&self, other: &Self) -> bool {
        self.resource_type() == other.resource_type()
            && self.depends_on == other.depends_on
            && self.condition == other.condition
            && self.update_policy == other.update_policy
            && self.deletion_policy == other.deletion_policy
            && self.update_replace_policy == other.update_replace_policy
            && self.metadata == other.metadata
            && self.properties_json().ok() == other.properties_json().ok()
    }
}

impl Serialize for Resource {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut entry = serializer.serialize_struct("Resource", 8)?;
        self.entry(&mut entry, |entry| {
            entry.serialize_field("Properties", &self.properties)
        })?;
        entry.end()
    }
}

impl Resource {
    /// The entry as [`Template::render`] writes it: the properties through their own type.
    fn render<F: Layout>(&self, out: &mut JsonWriter<F>) -> Result<(), WriteError> {
        let mut entry = out.serialize_struct("Resource", 8)?;
        self.entry(&mut entry, |entry| {
            entry.entry_with("Properties", |out| {
                F::write_properties(self.properties.as_ref(), out)
            })
        })?;
        SerializeStruct::end(entry)
    }

    /// Writes the entry's fields to `entry`; `properties` writes `Properties`.
    fn entry<S: SerializeStruct>(
        &self,
        entry: &mut S,
        properties: impl FnOnce(&mut S) -> Result<(), S::Error>,
    ) -> Result<(), S::Error> {
        entry.serialize_field("Type", self.resource_type())?;
        if shape(self.properties.as_ref()) != Shape::EmptyObject {
            properties(entry)?;
        }
        if !self.depends_on.is_empty() {
            entry.serialize_field("DependsOn", &self.depends_on)?;
        }
        if let Some(condition) = &self.condition {
            entry.serialize_field("Condition", condition)?;
        }
        if let Some(policy) = &self.update_policy {
            entry.serialize_field("UpdatePolicy", policy)?;
        }
        if let Some(policy) = &self.deletion_policy {
            entry.serialize_field("DeletionPolicy", policy)?;
        }
        if let Some(policy) = &self.update_replace_policy {
            entry.serialize_field("UpdateReplacePolicy", policy)?;
        }
        if !self.metadata.is_empty() {
            entry.serialize_field("Metadata", &self.metadata)?;
        }
        Ok(())
    }
}

impl Resource {
    /// A resource entry holding a copy of `properties`.
    pub fn new<P: ResourceProperties>(properties: &P) -> Result<Resource, CfnError> {
        Resource::from_properties(properties.clone())
    }

    /// A resource entry holding `properties`, which must render as a JSON object.
    pub fn from_properties<P: ResourceProperties>(properties: P) -> Result<Resource, CfnError> {
        if shape(&properties) == Shape::NotAnObject {
            return Err(CfnError::PropertiesNotAnObject {
                resource_type: properties.resource_type().to_owned(),
            });
        }
        Ok(Resource {
            properties: Box::new(properties),
            depends_on: Vec::new(),
            condition: None,
            update_policy: None,
            deletion_policy: None,
            update_replace_policy: None,
            metadata: OrderedMap::default(),
        })
    }

    /// `AWS::ECS::Service`, `Custom::LiteLLMModel`, ...
    pub fn resource_type(&self) -> &str {
        self.properties.resource_type()
    }

    /// The typed properties, when they are a `P`.
    pub fn properties<P: ResourceProperties>(&self) -> Option<&P> {
        self.properties.as_any().downcast_ref()
    }

    /// The typed properties, to change them, when they are a `P`.
    pub fn properties_mut<P: ResourceProperties>(&mut self) -> Option<&mut P> {
        self.properties.as_any_mut().downcast_mut()
    }

    /// Calls `visit` for every reference the properties make, in document order.
    pub fn visit_references<'a>(&'a self, visit: &mut dyn FnMut(ReferenceTo<'a>)) {
        self.properties.visit_references(visit);
    }

    /// The properties rendered as a JSON value (a copy, for tools and tests; templates render
    /// without it).
    pub fn properties_json(&self) -> Result<Value, CfnError> {
        serde_json::to_value(&self.properties).map_err(CfnError::Serialize)
    }

    /// One property, rendered, if present.
    pub fn property(&self, name: &str) -> Option<Value> {
        match self.properties_json() {
            Ok(Value::Object(mut map)) => map.swap_remove(name),
            _ => None,
        }
    }

    /// Adds a `DependsOn` entry (ignored if already present).
    pub fn depends_on(mut self, logical_id: impl Into<String>) -> Resource {
        let id = logical_id.into();
        if !self.depends_on.contains(&id) {
            self.depends_on.push(id);
        }
        self
    }

    /// Sets `Condition`.
    pub fn condition(mut self, name: impl Into<String>) -> Resource {
        self.condition = Some(name.into());
        self
    }

    /// Sets `UpdatePolicy`.
    pub fn update_policy(mut self, policy: UpdatePolicy) -> Resource {
        self.update_policy = Some(policy);
        self
    }

    /// Sets `DeletionPolicy`.
    pub fn deletion_policy(mut self, policy: DeletionPolicy) -> Resource {
        self.deletion_policy = Some(policy);
        self
    }

    /// Sets `UpdateReplacePolicy`.
    pub fn update_replace_policy(mut self, policy: DeletionPolicy) -> Resource {
        self.update_replace_policy = Some(policy);
        self
    }

    /// Sets one `Metadata` entry.
    pub fn metadata(mut self, key: impl Into<String>, value: Value) -> Resource {
        self.metadata.insert(key.into(), value);
        self
    }

    /// Records a justified checkov exception in `Metadata.checkov.skip`.
    pub fn checkov_skip(mut self, check_id: &str, justification: &str) -> Resource {
        let entry = serde_json::json!({"id": check_id, "comment": justification});
        let checkov = self
            .metadata
            .entry("checkov".to_owned())
            .or_insert_with(|| serde_json::json!({"skip": []}));
        if let Some(Value::Array(skips)) = checkov.get_mut("skip") {
            skips.push(entry);
        }
        self
    }

    /// Records a justified cfn-lint exception in `Metadata.cfn-lint.config.ignore_checks`.
    pub fn cfn_lint_ignore(mut self, rule_id: &str) -> Resource {
        let lint = self
            .metadata
            .entry("cfn-lint".to_owned())
            .or_insert_with(|| serde_json::json!({"config": {"ignore_checks": []}}));
        if let Some(Value::Array(rules)) = lint
            .get_mut("config")
            .and_then(|c| c.get_mut("ignore_checks"))
        {
            rules.push(Value::String(rule_id.to_owned()));
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::RawProperties;
    use crate::cfn::resources::logs::LogGroup;
    use serde_json::json;

    /// A template with every section, and resources with every attribute.
    fn every_section() -> Template {
        let mut t = Template::new();
        t.description = Some("d".into());
        t.parameters.insert(
            "Ami".into(),
            Parameter::new(ParameterType::SsmImageId).default_value(
                "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id",
            ),
        );
        t.parameters.insert(
            "Subnets".into(),
            Parameter::new(ParameterType::SubnetIdList).description("private subnets"),
        );
        t.rules.insert(
            "CertGiven".into(),
            Rule::assert(
                Condition::not(Condition::equals(Expr::ref_("Cert"), "")),
                "give a certificate",
            ),
        );
        t.conditions.insert(
            "HasCert".into(),
            Condition::not(Condition::equals(Expr::ref_("Cert"), "")),
        );
        let lg = LogGroup {
            retention_in_days: Some(30u32.into()),
            ..LogGroup::default()
        };
        t.resources.insert(
            "Logs".into(),
            Resource::new(&lg)
                .expect("renders")
                .deletion_policy(DeletionPolicy::Retain)
                .update_replace_policy(DeletionPolicy::Retain)
                .condition("HasCert")
                .checkov_skip("CKV_AWS_158", "AWS-managed key is enough here"),
        );
        t.outputs.insert(
            "LogGroupName".into(),
            Output::new(Expr::ref_("Logs"))
                .description("log group")
                .export(Expr::sub("${AWS::StackName}-logs")),
        );
        t
    }

    #[test]
    fn template_sections_render_in_order_and_skip_empty() {
        let v = every_section().to_json().expect("json");
        let keys: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "AWSTemplateFormatVersion",
                "Description",
                "Parameters",
                "Rules",
                "Conditions",
                "Resources",
                "Outputs"
            ]
        );
        assert_eq!(v["AWSTemplateFormatVersion"], "2010-09-09");
        assert_eq!(
            v["Parameters"]["Ami"]["Type"],
            "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
        );
        assert_eq!(
            v["Parameters"]["Subnets"]["Type"],
            "List<AWS::EC2::Subnet::Id>"
        );
        assert_eq!(
            v["Resources"]["Logs"],
            json!({
                "Type": "AWS::Logs::LogGroup",
                "Properties": {"RetentionInDays": 30},
                "Condition": "HasCert",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Metadata": {"checkov": {"skip": [{"id": "CKV_AWS_158", "comment": "AWS-managed key is enough here"}]}}
            })
        );
        assert_eq!(
            v["Rules"]["CertGiven"],
            json!({"Assertions": [{
                "Assert": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Cert"}, ""]}]},
                "AssertDescription": "give a certificate"
            }]})
        );
        assert_eq!(
            v["Outputs"]["LogGroupName"],
            json!({"Value": {"Ref": "Logs"}, "Description": "log group", "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-logs"}}})
        );
    }

    /// The text is written by its own walk (properties without `erased_serde`); it must be
    /// what serde_json writes for the template's `Serialize`, in both layouts.
    #[test]
    fn the_text_is_what_serialize_gives() {
        let mut full = every_section();
        full.metadata
            .insert("Note".into(), json!({"k": [1, "two"]}));
        full.resources.insert(
            "Empty".into(),
            Resource::new(&LogGroup::default())
                .expect("renders")
                .depends_on("Logs")
                .update_policy(UpdatePolicy {
                    auto_scaling_replacing_update: Some(AutoScalingReplacingUpdate {
                        will_replace: true,
                    }),
                    ..Default::default()
                }),
        );
        let raw = RawProperties::new("Custom::Thing", json!({"A": {"Ref": "Logs"}, "B": []}))
            .expect("an object");
        full.resources.insert(
            "Raw".into(),
            Resource::from_properties(raw).expect("an object"),
        );
        for template in [full, Template::new()] {
            assert_eq!(
                template.to_json_string().expect("renders"),
                serde_json::to_string_pretty(&template).expect("renders")
            );
            assert_eq!(
                template.to_compact_json_string().expect("renders"),
                serde_json::to_string(&template).expect("renders")
            );
            let mut written = Vec::new();
            template.write_json(&mut written).expect("writes");
            assert_eq!(
                String::from_utf8(written).expect("UTF-8"),
                template.to_json_string().expect("renders")
            );
        }
    }

    #[test]
    fn empty_properties_are_omitted() {
        let r = Resource::new(&LogGroup::default()).expect("renders");
        let v = serde_json::to_value(&r).expect("json");
        assert_eq!(v, json!({"Type": "AWS::Logs::LogGroup"}));
    }

    #[test]
    fn update_policy_renders() {
        let p = UpdatePolicy {
            auto_scaling_scheduled_action: Some(AutoScalingScheduledAction {
                ignore_unmodified_group_size_properties: true,
            }),
            auto_scaling_rolling_update: Some(AutoScalingRollingUpdate {
                max_batch_size: Some(1u32.into()),
                pause_time: Some("PT5M".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&p).expect("json"),
            json!({
                "AutoScalingRollingUpdate": {"MaxBatchSize": 1, "PauseTime": "PT5M"},
                "AutoScalingScheduledAction": {"IgnoreUnmodifiedGroupSizeProperties": true}
            })
        );
    }
}
