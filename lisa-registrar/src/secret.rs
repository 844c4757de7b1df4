//! Reads the LiteLLM master key from Secrets Manager, by the secret's ARN (the template passes
//! the ARN, never the key: properties appear in stack events).

use aws_sdk_secretsmanager::Client;

use crate::error::RegistrarError;

/// The master key: the secret's string, trimmed. A JSON object is accepted too when it has a
/// `masterKey` or `LITELLM_MASTER_KEY` string field.
pub async fn master_key(client: &Client, secret_arn: &str) -> Result<String, RegistrarError> {
    let output = client
        .get_secret_value()
        .secret_id(secret_arn)
        .send()
        .await
        .map_err(|e| RegistrarError::Secret {
            arn: secret_arn.to_owned(),
            message: crate::message::aws_message(&e),
        })?;
    let text = output.secret_string().unwrap_or_default().trim();
    let key = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => ["masterKey", "LITELLM_MASTER_KEY"]
            .iter()
            .find_map(|k| map.get(*k).and_then(|v| v.as_str()))
            .unwrap_or_default()
            .trim()
            .to_owned(),
        _ => text.to_owned(),
    };
    if key.is_empty() {
        return Err(RegistrarError::SecretEmpty {
            arn: secret_arn.to_owned(),
        });
    }
    Ok(key)
}
