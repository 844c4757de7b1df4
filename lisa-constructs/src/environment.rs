//! The environment a deployment runs in (`environment.json`): the network, the models bucket,
//! who may call the models, and the LiteLLM proxy. Read once by `bootstrap`, which records it in
//! the bootstrap stack's outputs, where every model command reads it back.
//!
//! Read like a model definition: every problem at once, each with its JSON path, and unknown
//! keys refused with a "did you mean" hint.
//!
//! ```
//! use lisa_constructs::environment::Environment;
//!
//! let error = Environment::from_json_str(r#"{"deploymentName": "lisa", "vpcID": "vpc-1"}"#)
//!     .expect_err("typo");
//! assert!(error.to_string().contains("vpcID: unknown field \"vpcID\"; did you mean \"vpcId\"?"));
//! ```

use crate::model::reader::{self, Fields};
use crate::model::{DefinitionError, ValidationErrors};
use serde::Serialize;
use serde_json::Value;

/// Who may call the models' load balancers: an address range, a security group, or both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ingress {
    /// An IPv4 range, such as the VPC's.
    #[serde(
        rename = "loadBalancerIngressCidr",
        skip_serializing_if = "Option::is_none"
    )]
    pub cidr: Option<String>,
    /// A security group, such as the LiteLLM proxy's.
    #[serde(
        rename = "loadBalancerIngressSecurityGroupId",
        skip_serializing_if = "Option::is_none"
    )]
    pub security_group_id: Option<String>,
}

/// One deployment's environment, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Environment {
    /// Prefix of every stack name (`<deploymentName>-bootstrap`, `<deploymentName>-<modelId>`).
    pub deployment_name: String,
    /// The VPC the models run in.
    pub vpc_id: String,
    /// Private subnets with egress, in at least two Availability Zones.
    pub subnet_ids: Vec<String>,
    /// The bucket holding model weights under their `modelName` prefix.
    pub models_bucket_name: String,
    /// Who may call the models.
    #[serde(flatten)]
    pub ingress: Ingress,
    /// The LiteLLM proxy's base URL.
    pub litellm_endpoint: String,
    /// The Secrets Manager secret holding the proxy's master key.
    pub litellm_master_key_secret_arn: String,
    /// An ACM certificate: the models' load balancers then serve HTTPS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_arn: Option<String>,
    /// Subnets of the registration function; the model subnets when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_subnet_ids: Option<Vec<String>>,
    /// Security groups of the registration function; the bootstrap creates one when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_security_group_ids: Option<Vec<String>>,
}

/// The keys of `environment.json`.
pub const FIELDS: &[&str] = &[
    "deploymentName",
    "vpcId",
    "subnetIds",
    "modelsBucketName",
    "loadBalancerIngressCidr",
    "loadBalancerIngressSecurityGroupId",
    "litellmEndpoint",
    "litellmMasterKeySecretArn",
    "certificateArn",
    "registrationSubnetIds",
    "registrationSecurityGroupIds",
];

impl Environment {
    /// Reads and validates `environment.json` text.
    pub fn from_json_str(text: &str) -> Result<Environment, DefinitionError> {
        let value: Value = serde_json::from_str(text)?;
        Ok(Environment::from_json_value(&value)?)
    }

    /// Reads and validates a JSON value, reporting every problem with its path.
    pub fn from_json_value(value: &Value) -> Result<Environment, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let environment = read(&mut errors, value);
        errors.into_result(environment)
    }

    /// The registration function's subnets.
    pub fn registration_subnets(&self) -> &[String] {
        self.registration_subnet_ids
            .as_deref()
            .unwrap_or(&self.subnet_ids)
    }
}

fn read(errors: &mut ValidationErrors, value: &Value) -> Option<Environment> {
    let mut f = Fields::open(errors, "", value, FIELDS)?;
    let deployment_name = f.required("deploymentName", checked(deployment_name));
    let vpc_id = f.required("vpcId", checked(|s| aws_id(s, "vpc-")));
    let subnet_ids = f.required("subnetIds", list(2, |s| aws_id(s, "subnet-")));
    let models_bucket_name = f.required("modelsBucketName", checked(bucket_name));
    let cidr = f.optional("loadBalancerIngressCidr", checked(ipv4_cidr));
    let security_group_id = f.optional(
        "loadBalancerIngressSecurityGroupId",
        checked(|s| aws_id(s, "sg-")),
    );
    if cidr.is_none()
        && security_group_id.is_none()
        && !f.has("loadBalancerIngressCidr")
        && !f.has("loadBalancerIngressSecurityGroupId")
    {
        f.error(
            "loadBalancerIngressCidr",
            "is required unless loadBalancerIngressSecurityGroupId is given: who may call the models?",
        );
    }
    let litellm_endpoint = f.required("litellmEndpoint", checked(http_url));
    let litellm_master_key_secret_arn = f.required(
        "litellmMasterKeySecretArn",
        checked(|s| arn(s, "secretsmanager", "secret:")),
    );
    let certificate_arn = f.optional("certificateArn", checked(|s| arn(s, "acm", "certificate/")));
    let registration_subnet_ids =
        f.optional("registrationSubnetIds", list(1, |s| aws_id(s, "subnet-")));
    let registration_security_group_ids = f.optional(
        "registrationSecurityGroupIds",
        list(1, |s| aws_id(s, "sg-")),
    );
    if !f.ok() {
        return None;
    }
    Some(Environment {
        deployment_name: deployment_name?,
        vpc_id: vpc_id?,
        subnet_ids: subnet_ids?,
        models_bucket_name: models_bucket_name?,
        ingress: Ingress {
            cidr,
            security_group_id,
        },
        litellm_endpoint: litellm_endpoint?,
        litellm_master_key_secret_arn: litellm_master_key_secret_arn?,
        certificate_arn,
        registration_subnet_ids,
        registration_security_group_ids,
    })
}

/// A string that `check` accepts (`check` says what is allowed when it does not).
fn checked(
    check: impl Fn(&str) -> Result<(), String>,
) -> impl Fn(&mut ValidationErrors, &str, &Value) -> Option<String> {
    move |errors, path, value| {
        let text = reader::string(errors, path, value)?;
        match check(&text) {
            Ok(()) => Some(text),
            Err(allowed) => {
                errors.push(
                    path,
                    format!("must be {allowed}, found {}", reader::describe(value)),
                );
                None
            }
        }
    }
}

/// An array of at least `min` strings that `check` accepts.
fn list(
    min: usize,
    check: impl Fn(&str) -> Result<(), String>,
) -> impl Fn(&mut ValidationErrors, &str, &Value) -> Option<Vec<String>> {
    let item = checked(check);
    move |errors, path, value| {
        let Value::Array(items) = value else {
            errors.push(
                path,
                format!("must be an array, found {}", reader::describe(value)),
            );
            return None;
        };
        if items.len() < min {
            errors.push(
                path,
                format!("must hold at least {min}, found {}", items.len()),
            );
            return None;
        }
        let read: Vec<Option<String>> = items
            .iter()
            .enumerate()
            .map(|(i, v)| item(errors, &format!("{path}[{i}]"), v))
            .collect();
        read.into_iter().collect()
    }
}

fn deployment_name(name: &str) -> Result<(), String> {
    if crate::deployment_name::is_valid(name) {
        Ok(())
    } else {
        Err(format!(
            "a letter, then letters and digits (no '-': it separates the deployment from the model in stack names), at most {} characters",
            crate::deployment_name::MAX_DEPLOYMENT_NAME_LEN
        ))
    }
}

fn aws_id(id: &str, prefix: &str) -> Result<(), String> {
    let ok = id.strip_prefix(prefix).is_some_and(|hex| {
        (8..=17).contains(&hex.len()) && hex.chars().all(|c| c.is_ascii_hexdigit())
    });
    if ok {
        Ok(())
    } else {
        Err(format!("an id such as {prefix}0123456789abcdef0"))
    }
}

fn bucket_name(name: &str) -> Result<(), String> {
    let ok = (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err("an S3 bucket name (3-63 of a-z, 0-9, '.', '-')".to_owned())
    }
}

fn ipv4_cidr(cidr: &str) -> Result<(), String> {
    let ok = cidr.split_once('/').is_some_and(|(address, bits)| {
        bits.parse::<u8>().is_ok_and(|b| b <= 32)
            && !bits.starts_with('+')
            && address.parse::<std::net::Ipv4Addr>().is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err("an IPv4 CIDR such as 10.0.0.0/16".to_owned())
    }
}

fn http_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.contains(char::is_whitespace) => Ok(()),
        _ => Err("an http:// or https:// URL".to_owned()),
    }
}

/// `arn:<partition>:<service>:<region>:<12 digits>:<resource_prefix>...`
fn arn(arn: &str, service: &str, resource_prefix: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == service
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && parts[5].len() > resource_prefix.len()
        && parts[5].starts_with(resource_prefix);
    if ok {
        Ok(())
    } else {
        Err(format!(
            "an ARN such as arn:aws:{service}:us-east-1:123456789012:{resource_prefix}..."
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn example() -> Value {
        json!({
            "deploymentName": "lisa",
            "vpcId": "vpc-0a1b2c3d4e5f60718",
            "subnetIds": ["subnet-0a1b2c3d4e5f60718", "subnet-18f7e6d5c4b3a2910"],
            "modelsBucketName": "example-lisa-model-weights",
            "loadBalancerIngressCidr": "10.0.0.0/16",
            "litellmEndpoint": "https://litellm.internal.example.com",
            "litellmMasterKeySecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:litellm-master-key-AbCdEf"
        })
    }

    fn errors_of(value: Value) -> Vec<String> {
        Environment::from_json_value(&value)
            .expect_err("invalid")
            .errors()
            .iter()
            .map(|e| format!("{}: {}", e.path, e.message))
            .collect()
    }

    #[test]
    fn the_example_reads_and_serializes_back() {
        let environment = Environment::from_json_value(&example()).expect("valid");
        assert_eq!(environment.registration_subnets(), environment.subnet_ids);
        assert_eq!(serde_json::to_value(&environment).expect("json"), example());
    }

    #[test]
    fn a_typo_is_refused_with_its_path_and_a_hint() {
        let mut value = example();
        value["subnetIDs"] = value["subnetIds"].take();
        value.as_object_mut().map(|o| o.remove("subnetIds"));
        let errors = errors_of(value);
        assert_eq!(
            errors,
            [
                "subnetIDs: unknown field \"subnetIDs\"; did you mean \"subnetIds\"?",
                "subnetIds: is required"
            ]
        );
    }

    #[test]
    fn every_bad_value_is_reported_at_once() {
        let mut value = example();
        value["vpcId"] = json!("vpc-xyz");
        value["subnetIds"] = json!(["subnet-0a1b2c3d4e5f60718"]);
        value["loadBalancerIngressCidr"] = json!("10.0.0.0/33");
        value["litellmEndpoint"] = json!("ftp://x");
        value["litellmMasterKeySecretArn"] = json!("arn:aws:kms:us-east-1:123456789012:key/x");
        value["registrationSecurityGroupIds"] = json!(["sg-0a1b2c3d", "nope"]);
        let errors = errors_of(value);
        let paths: Vec<&str> = errors
            .iter()
            .map(|e| e.split(':').next().unwrap_or(""))
            .collect();
        assert_eq!(
            paths,
            [
                "vpcId",
                "subnetIds",
                "loadBalancerIngressCidr",
                "litellmEndpoint",
                "litellmMasterKeySecretArn",
                "registrationSecurityGroupIds[1]"
            ],
            "{errors:#?}"
        );
    }

    #[test]
    fn someone_must_be_allowed_in() {
        let mut value = example();
        value
            .as_object_mut()
            .map(|o| o.remove("loadBalancerIngressCidr"));
        assert_eq!(errors_of(value.clone()).len(), 1);
        value["loadBalancerIngressSecurityGroupId"] = json!("sg-0123456789abcdef0");
        assert!(Environment::from_json_value(&value).is_ok());
    }
}
