//! Schemas built from a root schema of their own (the library's definition and schedule
//! schemas) folded into the document being generated.

use schemars::SchemaGenerator;
use serde_json::Value;

/// Moves a root schema's `$defs` into the generator's definitions (a definition the generator
/// has already is kept) and drops its `$schema`, so it can be a definition itself.
pub(crate) fn take_defs(schema: &mut Value, generator: &mut SchemaGenerator) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    object.remove("$schema");
    if let Some(Value::Object(defs)) = object.remove("$defs") {
        let known = generator.definitions_mut();
        for (name, def) in defs {
            known.entry(name).or_insert(def);
        }
    }
}
