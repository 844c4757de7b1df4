//! `AWS::EC2::*`: security groups and launch templates.

use serde::Serialize;

use super::Tag;
use crate::cfn::{Expr, Integer, resource_type};

/// `AWS::EC2::SecurityGroup`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroup {
    /// Required description (at most 255 characters).
    pub group_description: Expr,
    /// Physical name; generated when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_name: Option<Expr>,
    /// The VPC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<Expr>,
    /// Inbound rules.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_group_ingress: Vec<IngressRule>,
    /// Outbound rules. Empty keeps AWS's default allow-all egress; use
    /// [`EgressRule::deny_all`] for none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_group_egress: Vec<EgressRule>,
    /// Tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}
crate::references_of_fields!(SecurityGroup {
    group_description,
    group_name,
    vpc_id,
    security_group_ingress,
    security_group_egress,
    tags
});
resource_type!(SecurityGroup, "AWS::EC2::SecurityGroup");

impl SecurityGroup {
    /// A group with a description and nothing else.
    pub fn new(group_description: impl Into<Expr>) -> SecurityGroup {
        SecurityGroup {
            group_description: group_description.into(),
            group_name: None,
            vpc_id: None,
            security_group_ingress: Vec::new(),
            security_group_egress: Vec::new(),
            tags: Vec::new(),
        }
    }
}

/// One inbound rule (inline in a group or the body of a standalone ingress).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IngressRule {
    /// `tcp`, `udp`, `icmp`, `-1` (all), or a protocol number.
    pub ip_protocol: Expr,
    /// First port (or ICMP type).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_port: Option<Integer>,
    /// Last port (or ICMP code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_port: Option<Integer>,
    /// Source IPv4 CIDR.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr_ip: Option<Expr>,
    /// Source IPv6 CIDR.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr_ipv6: Option<Expr>,
    /// Source security group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_security_group_id: Option<Expr>,
    /// Source prefix list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_prefix_list_id: Option<Expr>,
    /// Why the rule exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Expr>,
}
crate::references_of_fields!(IngressRule {
    ip_protocol,
    from_port,
    to_port,
    cidr_ip,
    cidr_ipv6,
    source_security_group_id,
    source_prefix_list_id,
    description
});

impl IngressRule {
    /// TCP on one port from an IPv4 CIDR.
    pub fn tcp_from_cidr(
        port: impl Into<Integer> + Clone,
        cidr: impl Into<Expr>,
        description: impl Into<Expr>,
    ) -> IngressRule {
        IngressRule {
            cidr_ip: Some(cidr.into()),
            ..IngressRule::tcp(port, description)
        }
    }

    /// TCP on one port from a security group.
    pub fn tcp_from_group(
        port: impl Into<Integer> + Clone,
        group_id: impl Into<Expr>,
        description: impl Into<Expr>,
    ) -> IngressRule {
        IngressRule {
            source_security_group_id: Some(group_id.into()),
            ..IngressRule::tcp(port, description)
        }
    }

    fn tcp(port: impl Into<Integer> + Clone, description: impl Into<Expr>) -> IngressRule {
        IngressRule {
            ip_protocol: Expr::from("tcp"),
            from_port: Some(port.clone().into()),
            to_port: Some(port.into()),
            cidr_ip: None,
            cidr_ipv6: None,
            source_security_group_id: None,
            source_prefix_list_id: None,
            description: Some(description.into()),
        }
    }
}

/// One outbound rule (inline in a group or the body of a standalone egress).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EgressRule {
    /// `tcp`, `udp`, `icmp`, `-1` (all), or a protocol number.
    pub ip_protocol: Expr,
    /// First port (or ICMP type).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_port: Option<Integer>,
    /// Last port (or ICMP code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_port: Option<Integer>,
    /// Destination IPv4 CIDR.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr_ip: Option<Expr>,
    /// Destination IPv6 CIDR.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr_ipv6: Option<Expr>,
    /// Destination security group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_security_group_id: Option<Expr>,
    /// Destination prefix list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_prefix_list_id: Option<Expr>,
    /// Why the rule exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Expr>,
}
crate::references_of_fields!(EgressRule {
    ip_protocol,
    from_port,
    to_port,
    cidr_ip,
    cidr_ipv6,
    destination_security_group_id,
    destination_prefix_list_id,
    description
});

impl EgressRule {
    /// A rule that matches no traffic: declaring it removes AWS's default allow-all egress
    /// (ICMP type 252 code 86 to 255.255.255.255/32, the placeholder the AWS CDK uses).
    pub fn deny_all() -> EgressRule {
        EgressRule {
            ip_protocol: Expr::from("icmp"),
            from_port: Some(252u16.into()),
            to_port: Some(86u16.into()),
            cidr_ip: Some(Expr::from("255.255.255.255/32")),
            cidr_ipv6: None,
            destination_security_group_id: None,
            destination_prefix_list_id: None,
            description: Some(Expr::from("Disallow all traffic")),
        }
    }

    /// TCP on one port to an IPv4 CIDR.
    pub fn tcp_to_cidr(
        port: impl Into<Integer> + Clone,
        cidr: impl Into<Expr>,
        description: impl Into<Expr>,
    ) -> EgressRule {
        EgressRule {
            ip_protocol: Expr::from("tcp"),
            from_port: Some(port.clone().into()),
            to_port: Some(port.into()),
            cidr_ip: Some(cidr.into()),
            cidr_ipv6: None,
            destination_security_group_id: None,
            destination_prefix_list_id: None,
            description: Some(description.into()),
        }
    }
}

/// `AWS::EC2::SecurityGroupIngress`: a rule declared apart from its group (breaks cycles
/// between groups that reference each other).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroupIngress {
    /// The group receiving the rule.
    pub group_id: Expr,
    /// The rule.
    #[serde(flatten)]
    pub rule: IngressRule,
}
crate::references_of_fields!(SecurityGroupIngress { group_id, rule });
resource_type!(SecurityGroupIngress, "AWS::EC2::SecurityGroupIngress");

/// `AWS::EC2::SecurityGroupEgress`: a rule declared apart from its group.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroupEgress {
    /// The group receiving the rule.
    pub group_id: Expr,
    /// The rule.
    #[serde(flatten)]
    pub rule: EgressRule,
}
crate::references_of_fields!(SecurityGroupEgress { group_id, rule });
resource_type!(SecurityGroupEgress, "AWS::EC2::SecurityGroupEgress");

/// `AWS::EC2::LaunchTemplate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplate {
    /// Physical name; generated when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_template_name: Option<Expr>,
    /// What instances launch with.
    pub launch_template_data: LaunchTemplateData,
    /// Tags on the launch template itself.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tag_specifications: Vec<TagSpecification>,
}
crate::references_of_fields!(LaunchTemplate {
    launch_template_name,
    launch_template_data,
    tag_specifications
});
resource_type!(LaunchTemplate, "AWS::EC2::LaunchTemplate");

/// `LaunchTemplate.LaunchTemplateData`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateData {
    /// AMI id (often a `Ref` to an SSM-typed parameter).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<Expr>,
    /// Instance type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<Expr>,
    /// Instance profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iam_instance_profile: Option<IamInstanceProfileSpecification>,
    /// Security groups (a list, or one intrinsic yielding a list). Not with `NetworkInterfaces`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_group_ids: Option<Expr>,
    /// Base64-encoded user data (wrap with [`Expr::base64`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_data: Option<Expr>,
    /// Instance metadata service options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata_options: Option<MetadataOptions>,
    /// Volumes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub block_device_mappings: Vec<BlockDeviceMapping>,
    /// Network interfaces (e.g. to turn off public IPs explicitly).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub network_interfaces: Vec<NetworkInterface>,
    /// Detailed monitoring.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<Monitoring>,
    /// EBS-optimized instances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ebs_optimized: Option<bool>,
    /// Tags applied to launched instances and volumes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tag_specifications: Vec<TagSpecification>,
}
crate::references_of_fields!(LaunchTemplateData {
    image_id,
    instance_type,
    iam_instance_profile,
    security_group_ids,
    user_data,
    metadata_options,
    block_device_mappings,
    network_interfaces,
    monitoring,
    ebs_optimized,
    tag_specifications
});

/// `LaunchTemplateData.IamInstanceProfile`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IamInstanceProfileSpecification {
    /// Profile ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<Expr>,
    /// Profile name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Expr>,
}
crate::references_of_fields!(IamInstanceProfileSpecification { arn, name });

/// `LaunchTemplateData.MetadataOptions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetadataOptions {
    /// `enabled` or `disabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_endpoint: Option<Expr>,
    /// `required` (IMDSv2 only) or `optional`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_tokens: Option<Expr>,
    /// Network hops a metadata response may travel (1 keeps it away from bridged containers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_put_response_hop_limit: Option<Integer>,
    /// `enabled` or `disabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_metadata_tags: Option<Expr>,
}
crate::references_of_fields!(MetadataOptions {
    http_endpoint,
    http_tokens,
    http_put_response_hop_limit,
    instance_metadata_tags
});

impl MetadataOptions {
    /// IMDS enabled, IMDSv2 tokens required, the given hop limit.
    pub fn imdsv2_required(hop_limit: u32) -> MetadataOptions {
        MetadataOptions {
            http_endpoint: Some(Expr::from("enabled")),
            http_tokens: Some(Expr::from("required")),
            http_put_response_hop_limit: Some(hop_limit.into()),
            instance_metadata_tags: None,
        }
    }
}

/// `LaunchTemplateData.BlockDeviceMappings[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BlockDeviceMapping {
    /// Device name (`/dev/xvda`).
    pub device_name: Expr,
    /// EBS volume settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ebs: Option<Ebs>,
}
crate::references_of_fields!(BlockDeviceMapping { device_name, ebs });

/// `BlockDeviceMapping.Ebs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ebs {
    /// Delete with the instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_on_termination: Option<bool>,
    /// Encrypt the volume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    /// Provisioned IOPS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iops: Option<Integer>,
    /// KMS key for encryption.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<Expr>,
    /// Throughput in MiB/s (gp3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throughput: Option<Integer>,
    /// Size in GiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_size: Option<Integer>,
    /// `gp3`, `gp2`, `io2`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_type: Option<Expr>,
}
crate::references_of_fields!(Ebs {
    delete_on_termination,
    encrypted,
    iops,
    kms_key_id,
    throughput,
    volume_size,
    volume_type
});

/// `LaunchTemplateData.NetworkInterfaces[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkInterface {
    /// Position in the attachment order (0 is primary).
    pub device_index: Integer,
    /// Give the interface a public IPv4 address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub associate_public_ip_address: Option<bool>,
    /// Security groups (a list, or one intrinsic yielding a list).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Expr>,
    /// Delete with the instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_on_termination: Option<bool>,
}
crate::references_of_fields!(NetworkInterface {
    device_index,
    associate_public_ip_address,
    groups,
    delete_on_termination
});

/// `LaunchTemplateData.Monitoring`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Monitoring {
    /// Detailed (1-minute) monitoring.
    pub enabled: bool,
}
crate::references_of_fields!(Monitoring { enabled });

/// A `{ResourceType, Tags}` tag specification.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagSpecification {
    /// `instance`, `volume`, `launch-template`, ...
    pub resource_type: Expr,
    /// Tags.
    pub tags: Vec<Tag>,
}
crate::references_of_fields!(TagSpecification {
    resource_type,
    tags
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::Resource;
    use serde_json::json;

    #[test]
    fn security_group_rules_render_ports_as_numbers() {
        let mut sg = SecurityGroup::new("load balancer");
        sg.vpc_id = Some(Expr::ref_("VpcId"));
        sg.security_group_ingress.push(IngressRule::tcp_from_cidr(
            80u16,
            Expr::ref_("Cidr"),
            "http",
        ));
        sg.security_group_egress.push(EgressRule::deny_all());
        let r = Resource::new(&sg).expect("renders");
        assert_eq!(
            r.properties_json().expect("renders"),
            json!({
                "GroupDescription": "load balancer",
                "VpcId": {"Ref": "VpcId"},
                "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": {"Ref": "Cidr"}, "Description": "http"}],
                "SecurityGroupEgress": [{"IpProtocol": "icmp", "FromPort": 252, "ToPort": 86, "CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic"}]
            })
        );
    }

    #[test]
    fn standalone_ingress_flattens_rule() {
        let i = SecurityGroupIngress {
            group_id: Expr::get_att("InstanceSg", "GroupId"),
            rule: IngressRule::tcp_from_group(
                Integer::from(Expr::from("8080")),
                Expr::get_att("LbSg", "GroupId"),
                "from lb",
            ),
        };
        let r = Resource::new(&i).expect("renders");
        assert_eq!(r.resource_type(), "AWS::EC2::SecurityGroupIngress");
        assert_eq!(
            r.properties_json().expect("renders")["GroupId"],
            json!({"Fn::GetAtt": ["InstanceSg", "GroupId"]})
        );
        assert_eq!(
            r.properties_json().expect("renders")["FromPort"],
            json!(8080)
        );
        assert_eq!(
            r.properties_json().expect("renders")["SourceSecurityGroupId"],
            json!({"Fn::GetAtt": ["LbSg", "GroupId"]})
        );
    }

    #[test]
    fn launch_template_data_renders_strict_types() {
        let lt = LaunchTemplate {
            launch_template_data: LaunchTemplateData {
                image_id: Some(Expr::ref_("Ami")),
                instance_type: Some("g5.xlarge".into()),
                iam_instance_profile: Some(IamInstanceProfileSpecification {
                    arn: Some(Expr::get_att("Profile", "Arn")),
                    name: None,
                }),
                metadata_options: Some(MetadataOptions::imdsv2_required(1)),
                block_device_mappings: vec![BlockDeviceMapping {
                    device_name: "/dev/xvda".into(),
                    ebs: Some(Ebs {
                        volume_size: Some(100u32.into()),
                        volume_type: Some("gp3".into()),
                        encrypted: Some(true),
                        delete_on_termination: Some(true),
                        ..Ebs::default()
                    }),
                }],
                monitoring: Some(Monitoring { enabled: true }),
                user_data: Some(Expr::base64(Expr::sub("#!/bin/bash\necho ${Cluster}"))),
                ..LaunchTemplateData::default()
            },
            ..LaunchTemplate::default()
        };
        let v = Resource::new(&lt)
            .expect("renders")
            .properties_json()
            .expect("renders");
        let d = &v["LaunchTemplateData"];
        assert_eq!(d["MetadataOptions"]["HttpPutResponseHopLimit"], json!(1));
        assert_eq!(d["MetadataOptions"]["HttpTokens"], json!("required"));
        assert_eq!(d["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"], json!(100));
        assert_eq!(d["BlockDeviceMappings"][0]["Ebs"]["Encrypted"], json!(true));
        assert_eq!(
            d["IamInstanceProfile"],
            json!({"Arn": {"Fn::GetAtt": ["Profile", "Arn"]}})
        );
        assert_eq!(d["Monitoring"], json!({"Enabled": true}));
    }
}
