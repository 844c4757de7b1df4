//! `AWS::IAM::*`: roles, instance profiles, and typed policy documents.

use serde::Serialize;

use super::Tag;
use crate::cfn::{Expr, Integer, resource_type};

/// The only current IAM policy language version.
pub const POLICY_VERSION: &str = "2012-10-17";

/// An IAM policy document (trust or permissions).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    /// Always [`POLICY_VERSION`].
    pub version: String,
    /// The statements.
    pub statement: Vec<Statement>,
}
crate::references_of_fields!(PolicyDocument { version, statement });

impl PolicyDocument {
    /// A document with the given statements.
    pub fn new(statements: impl IntoIterator<Item = Statement>) -> PolicyDocument {
        PolicyDocument {
            version: POLICY_VERSION.to_owned(),
            statement: statements.into_iter().collect(),
        }
    }

    /// A trust policy letting an AWS service (`ec2.amazonaws.com`, `ecs-tasks.amazonaws.com`)
    /// assume the role.
    pub fn assume_role_by_service(service: impl Into<Expr>) -> PolicyDocument {
        PolicyDocument::new([Statement {
            sid: None,
            effect: Effect::Allow,
            principal: Some(Expr::map([("Service", service.into())])),
            action: vec![Expr::from("sts:AssumeRole")],
            resource: Vec::new(),
            condition: None,
        }])
    }
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Effect {
    /// Grants.
    Allow,
    /// Denies, overriding any allow.
    Deny,
}

crate::cfn::references::no_references!(Effect);

/// One policy statement.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    /// Statement id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Allow or deny.
    pub effect: Effect,
    /// Who (trust policies only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<Expr>,
    /// Actions (`s3:GetObject`, ...).
    pub action: Vec<Expr>,
    /// Resource ARNs (absent in trust policies).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource: Vec<Expr>,
    /// Condition block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<Expr>,
}
crate::references_of_fields!(Statement {
    sid,
    effect,
    principal,
    action,
    resource,
    condition
});

impl Statement {
    /// Allow `actions` on `resources`.
    pub fn allow<A: Into<Expr>, R: Into<Expr>>(
        actions: impl IntoIterator<Item = A>,
        resources: impl IntoIterator<Item = R>,
    ) -> Statement {
        Statement {
            sid: None,
            effect: Effect::Allow,
            principal: None,
            action: actions.into_iter().map(Into::into).collect(),
            resource: resources.into_iter().map(Into::into).collect(),
            condition: None,
        }
    }
}

/// `AWS::IAM::Role`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Role {
    /// Trust policy.
    pub assume_role_policy_document: PolicyDocument,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Expr>,
    /// Attached managed policies.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub managed_policy_arns: Vec<Expr>,
    /// Inline policies.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<Policy>,
    /// IAM path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Expr>,
    /// Physical name; generated when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_name: Option<Expr>,
    /// Session duration in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_session_duration: Option<Integer>,
    /// Permissions boundary policy ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<Expr>,
    /// Tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}
crate::references_of_fields!(Role {
    assume_role_policy_document,
    description,
    managed_policy_arns,
    policies,
    path,
    role_name,
    max_session_duration,
    permissions_boundary,
    tags
});
resource_type!(Role, "AWS::IAM::Role");

impl Role {
    /// A role with a trust policy and nothing else.
    pub fn new(assume_role_policy_document: PolicyDocument) -> Role {
        Role {
            assume_role_policy_document,
            description: None,
            managed_policy_arns: Vec::new(),
            policies: Vec::new(),
            path: None,
            role_name: None,
            max_session_duration: None,
            permissions_boundary: None,
            tags: Vec::new(),
        }
    }
}

/// `Role.Policies[]`: an inline policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Policy {
    /// Name, unique within the role.
    pub policy_name: Expr,
    /// The document.
    pub policy_document: PolicyDocument,
}
crate::references_of_fields!(Policy {
    policy_name,
    policy_document
});

/// `AWS::IAM::InstanceProfile`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceProfile {
    /// Role names (exactly one).
    pub roles: Vec<Expr>,
    /// IAM path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Expr>,
    /// Physical name; generated when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_profile_name: Option<Expr>,
}
crate::references_of_fields!(InstanceProfile {
    roles,
    path,
    instance_profile_name
});
resource_type!(InstanceProfile, "AWS::IAM::InstanceProfile");

impl InstanceProfile {
    /// A profile for one role (pass the role's `Ref`, which is its name).
    pub fn for_role(role_name: impl Into<Expr>) -> InstanceProfile {
        InstanceProfile {
            roles: vec![role_name.into()],
            path: None,
            instance_profile_name: None,
        }
    }
}

/// `AWS::IAM::ManagedPolicy`: a customer managed policy, attached to the roles it names. Each
/// may hold 6,144 characters, where a role's inline policies share 10,240.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedPolicy {
    /// The document.
    pub policy_document: PolicyDocument,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Expr>,
    /// Role names (a role's `Ref`) the policy is attached to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Expr>,
    /// Physical name; generated when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_policy_name: Option<Expr>,
}
crate::references_of_fields!(ManagedPolicy {
    policy_document,
    description,
    roles,
    managed_policy_name
});
resource_type!(ManagedPolicy, "AWS::IAM::ManagedPolicy");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::Resource;
    use serde_json::json;

    #[test]
    fn role_renders_trust_and_inline_policy() {
        let mut role = Role::new(PolicyDocument::assume_role_by_service(
            "ecs-tasks.amazonaws.com",
        ));
        role.policies.push(Policy {
            policy_name: "weights".into(),
            policy_document: PolicyDocument::new([Statement::allow(
                ["s3:GetObject"],
                [Expr::sub("arn:${AWS::Partition}:s3:::${Bucket}/m/*")],
            )]),
        });
        role.managed_policy_arns.push(Expr::sub(
            "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
        ));
        let v = Resource::new(&role)
            .expect("renders")
            .properties_json()
            .expect("renders");
        assert_eq!(
            v["AssumeRolePolicyDocument"],
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": ["sts:AssumeRole"]}]})
        );
        assert_eq!(
            v["Policies"][0]["PolicyDocument"]["Statement"][0]["Resource"],
            json!([{"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/m/*"}])
        );
        let p = Resource::new(&InstanceProfile::for_role(Expr::ref_("Role"))).expect("renders");
        assert_eq!(
            p.properties_json().expect("renders"),
            json!({"Roles": [{"Ref": "Role"}]})
        );
    }
}
