//! Checks requests against LiteLLM's own OpenAPI description (contracts/, from LiteLLM 1.108.7):
//! the operation exists, query parameters are declared, and the JSON body matches the
//! operation's request schema (the JSON Schema subset the description uses).

use serde_json::Value;

/// The description, read once per stand-in.
#[derive(Debug, Clone)]
pub struct Contract {
    doc: Value,
}

impl Contract {
    pub fn load() -> Contract {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../contracts/litellm-model-endpoints.openapi.json"
        );
        let text = std::fs::read_to_string(path).expect("the contract is in contracts/");
        Contract {
            doc: serde_json::from_str(&text).expect("the contract is JSON"),
        }
    }

    /// Every way the request breaks the contract (empty when it keeps it).
    pub fn check(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        body: &[u8],
    ) -> Vec<String> {
        let mut problems = Vec::new();
        let Some(op) = self.doc.pointer(&format!(
            "/paths/{}/{}",
            path.replace('/', "~1"),
            method.to_lowercase()
        )) else {
            return vec![format!(
                "{method} {path} is not an operation of LiteLLM's API"
            )];
        };
        let declared: Vec<&str> = op
            .get("parameters")
            .and_then(Value::as_array)
            .map(|ps| ps.iter().filter_map(|p| p.get("name")?.as_str()).collect())
            .unwrap_or_default();
        for (name, _) in query {
            if !declared.contains(&name.as_str()) {
                problems.push(format!(
                    "query parameter {name} is not declared for {method} {path}"
                ));
            }
        }
        match op.pointer("/requestBody/content/application~1json/schema") {
            Some(schema) => match serde_json::from_slice::<Value>(body) {
                Ok(value) => self.validate(schema, &value, "body", &mut problems),
                Err(e) => problems.push(format!("{method} {path}: body is not JSON: {e}")),
            },
            None if !body.is_empty() => problems.push(format!("{method} {path} takes no body")),
            None => {}
        }
        problems
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => self
                .doc
                .pointer(r.trim_start_matches('#'))
                .unwrap_or(&Value::Null),
            None => schema,
        }
    }

    fn validate(&self, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
        let schema = self.resolve(schema);
        if let Some(options) = schema.get("anyOf").and_then(Value::as_array) {
            let fits = options.iter().any(|o| {
                let mut p = Vec::new();
                self.validate(o, value, at, &mut p);
                p.is_empty()
            });
            if !fits {
                problems.push(format!("{at}: matches none of anyOf"));
            }
            return;
        }
        if let Some(c) = schema.get("const")
            && c != value
        {
            problems.push(format!("{at}: must be {c}"));
        }
        if let Some(e) = schema.get("enum").and_then(Value::as_array)
            && !e.contains(value)
        {
            problems.push(format!("{at}: {value} is not one of {e:?}"));
        }
        let Some(ty) = schema.get("type").and_then(Value::as_str) else {
            return;
        };
        let ok = match ty {
            "string" => value.is_string(),
            "number" => value.is_number(),
            "integer" => value.is_i64() || value.is_u64(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => true,
        };
        if !ok {
            problems.push(format!("{at}: expected {ty}, found {value}"));
            return;
        }
        if let (Some(items), Some(values)) = (schema.get("items"), value.as_array()) {
            for (i, v) in values.iter().enumerate() {
                self.validate(items, v, &format!("{at}[{i}]"), problems);
            }
        }
        if let Some(map) = value.as_object() {
            let props = schema.get("properties").and_then(Value::as_object);
            for required in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(name) = required.as_str()
                    && !map.contains_key(name)
                {
                    problems.push(format!("{at}: missing required {name}"));
                }
            }
            for (k, v) in map {
                match props.and_then(|p| p.get(k)) {
                    Some(s) => self.validate(s, v, &format!("{at}.{k}"), problems),
                    None => match schema.get("additionalProperties") {
                        Some(Value::Bool(false)) => {
                            problems.push(format!("{at}: unknown property {k}"))
                        }
                        Some(extra @ Value::Object(_)) => {
                            self.validate(extra, v, &format!("{at}.{k}"), problems)
                        }
                        // Pydantic models without `additionalProperties` ignore extra fields.
                        _ => {}
                    },
                }
            }
        }
    }
}
