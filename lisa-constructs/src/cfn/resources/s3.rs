//! `AWS::S3::*`.

use serde::Serialize;
use serde_json::json;

use crate::cfn::{Expr, resource_type};

/// `AWS::S3::Bucket`, with the settings a private artifacts bucket needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Bucket {
    /// Default encryption.
    pub bucket_encryption: Expr,
    /// Block every kind of public access.
    pub public_access_block_configuration: Expr,
    /// Keep old object versions.
    pub versioning_configuration: Expr,
    /// Object ownership (ACLs off).
    pub ownership_controls: Expr,
}
crate::references_of_fields!(Bucket {
    bucket_encryption,
    public_access_block_configuration,
    versioning_configuration,
    ownership_controls
});
resource_type!(Bucket, "AWS::S3::Bucket");

impl Bucket {
    /// A private bucket: SSE-S3 encryption, public access blocked, versioned, ACLs disabled.
    pub fn private() -> Bucket {
        Bucket {
            bucket_encryption: Expr::from_json(&json!({"ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            ]})),
            public_access_block_configuration: Expr::from_json(&json!({
                "BlockPublicAcls": true, "BlockPublicPolicy": true,
                "IgnorePublicAcls": true, "RestrictPublicBuckets": true
            })),
            versioning_configuration: Expr::from_json(&json!({"Status": "Enabled"})),
            ownership_controls: Expr::from_json(&json!({
                "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]
            })),
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
crate::references_of_fields!(BucketPolicy {
    bucket,
    policy_document
});
resource_type!(BucketPolicy, "AWS::S3::BucketPolicy");
