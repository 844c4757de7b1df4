//! `AWS::Route53::RecordSet`: a name in a hosted zone, here an alias to a load balancer.

use serde::Serialize;

use crate::cfn::{Expr, resource_type};

/// `AWS::Route53::RecordSet`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecordSet {
    /// The hosted zone's id.
    pub hosted_zone_id: Expr,
    /// The record's name (a fully qualified domain name).
    pub name: Expr,
    /// `A`, `AAAA`, `CNAME`, ...
    #[serde(rename = "Type")]
    pub record_type: Expr,
    /// Where an alias record points.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias_target: Option<AliasTarget>,
}
crate::references_of_fields!(RecordSet {
    hosted_zone_id,
    name,
    record_type,
    alias_target
});
resource_type!(RecordSet, "AWS::Route53::RecordSet");

/// `RecordSet.AliasTarget`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasTarget {
    /// The target's DNS name.
    #[serde(rename = "DNSName")]
    pub dns_name: Expr,
    /// The target's own hosted zone id (a load balancer's `CanonicalHostedZoneID`).
    pub hosted_zone_id: Expr,
    /// Answer only while the target is healthy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluate_target_health: Option<bool>,
}
crate::references_of_fields!(AliasTarget {
    dns_name,
    hosted_zone_id,
    evaluate_target_health
});

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn alias_record_renders() {
        let record = RecordSet {
            hosted_zone_id: Expr::ref_("Zone"),
            name: Expr::ref_("Name"),
            record_type: Expr::str("A"),
            alias_target: Some(AliasTarget {
                dns_name: Expr::get_att("Lb", "DNSName"),
                hosted_zone_id: Expr::get_att("Lb", "CanonicalHostedZoneID"),
                evaluate_target_health: Some(true),
            }),
        };
        assert_eq!(
            serde_json::to_value(&record).expect("json"),
            json!({
                "HostedZoneId": {"Ref": "Zone"},
                "Name": {"Ref": "Name"},
                "Type": "A",
                "AliasTarget": {
                    "DNSName": {"Fn::GetAtt": ["Lb", "DNSName"]},
                    "HostedZoneId": {"Fn::GetAtt": ["Lb", "CanonicalHostedZoneID"]},
                    "EvaluateTargetHealth": true
                }
            })
        );
    }
}
