//! `AWS::S3::*`.

use serde::Serialize;
use serde_json::{Value, json};

use crate::cfn::{Expr, resource_type};

/// `AWS::S3::Bucket`, with the settings a private artifacts bucket needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Bucket {
    /// Default encryption.
    pub bucket_encryption: Value,
    /// Block every kind of public access.
    pub public_access_block_configuration: Value,
    /// Keep old object versions.
    pub versioning_configuration: Value,
    /// Object ownership (ACLs off).
    pub ownership_controls: Value,
}
resource_type!(Bucket, "AWS::S3::Bucket");

impl Bucket {
    /// A private bucket: SSE-S3 encryption, public access blocked, versioned, ACLs disabled.
    pub fn private() -> Bucket {
        Bucket {
            bucket_encryption: json!({"ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            ]}),
            public_access_block_configuration: json!({
                "BlockPublicAcls": true, "BlockPublicPolicy": true,
                "IgnorePublicAcls": true, "RestrictPublicBuckets": true
            }),
            versioning_configuration: json!({"Status": "Enabled"}),
            ownership_controls: json!({"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}),
        }
    }
}

/// `AWS::S3::BucketPolicy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketPolicy {
    /// The bucket.
    pub bucket: Expr,
    /// The policy.
    pub policy_document: super::iam::PolicyDocument,
}
resource_type!(BucketPolicy, "AWS::S3::BucketPolicy");
