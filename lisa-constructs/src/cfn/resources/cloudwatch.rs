//! `AWS::CloudWatch::Alarm`, on one metric or on metric math.

use serde::Serialize;

use crate::cfn::{Expr, Integer, resource_type};

/// `AWS::CloudWatch::Alarm`. Only the metric-math form (`Metrics`) is modelled: it covers one
/// metric too, and an alarm on a rate needs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Alarm {
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarm_description: Option<Expr>,
    /// `GreaterThanOrEqualToThreshold`, `GreaterThanThreshold`, ...
    pub comparison_operator: Expr,
    /// Periods evaluated.
    pub evaluation_periods: Integer,
    /// Breaching periods among them that set the alarm (at most `EvaluationPeriods`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datapoints_to_alarm: Option<Integer>,
    /// The value compared with (a Double).
    pub threshold: f64,
    /// `breaching`, `notBreaching`, `ignore` or `missing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub treat_missing_data: Option<Expr>,
    /// The queries; exactly one returns data.
    pub metrics: Vec<MetricDataQuery>,
}
crate::references_of_fields!(Alarm {
    alarm_description,
    comparison_operator,
    evaluation_periods,
    datapoints_to_alarm,
    threshold,
    treat_missing_data,
    metrics
});
resource_type!(Alarm, "AWS::CloudWatch::Alarm");

/// `Alarm.Metrics[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricDataQuery {
    /// Short name, starting with a lowercase letter; expressions use it.
    pub id: Expr,
    /// A metric-math expression (instead of `MetricStat`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<Expr>,
    /// A human-readable label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<Expr>,
    /// A metric, its statistic and period (instead of `Expression`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_stat: Option<MetricStat>,
    /// The expression's period in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Integer>,
    /// Whether this query is the one the alarm compares.
    pub return_data: bool,
}
crate::references_of_fields!(MetricDataQuery {
    id,
    expression,
    label,
    metric_stat,
    period,
    return_data
});

impl MetricDataQuery {
    /// A metric the expression reads, not compared itself.
    pub fn metric(id: &str, metric: Metric, stat: &str, period: u32) -> MetricDataQuery {
        MetricDataQuery {
            id: Expr::from(id),
            expression: None,
            label: None,
            metric_stat: Some(MetricStat {
                metric,
                period: period.into(),
                stat: Expr::from(stat),
            }),
            period: None,
            return_data: false,
        }
    }

    /// The expression the alarm compares with its threshold.
    pub fn compared_expression(id: &str, expression: &str, label: &str, period: u32) -> Self {
        MetricDataQuery {
            id: Expr::from(id),
            expression: Some(Expr::from(expression)),
            label: Some(Expr::from(label)),
            metric_stat: None,
            period: Some(period.into()),
            return_data: true,
        }
    }
}

/// `MetricDataQuery.MetricStat`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricStat {
    /// The metric.
    pub metric: Metric,
    /// Period in seconds.
    pub period: Integer,
    /// `Sum`, `Average`, ...
    pub stat: Expr,
}
crate::references_of_fields!(MetricStat {
    metric,
    period,
    stat
});

/// `MetricStat.Metric`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Metric {
    /// Metric name.
    pub metric_name: Expr,
    /// Metric namespace.
    pub namespace: Expr,
    /// Dimensions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<Dimension>,
}
crate::references_of_fields!(Metric {
    metric_name,
    namespace,
    dimensions
});

/// A `{Name, Value}` alarm metric dimension.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Dimension {
    /// Dimension name.
    pub name: Expr,
    /// Dimension value.
    pub value: Expr,
}
crate::references_of_fields!(Dimension { name, value });

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::Resource;
    use serde_json::json;

    #[test]
    fn rate_alarm_renders_its_queries() {
        let metric = |name: &str| Metric {
            metric_name: Expr::from(name),
            namespace: Expr::from("AWS/ApplicationELB"),
            dimensions: vec![Dimension {
                name: Expr::from("LoadBalancer"),
                value: Expr::get_att("Lb", "LoadBalancerFullName"),
            }],
        };
        let alarm = Alarm {
            alarm_description: None,
            comparison_operator: Expr::from("GreaterThanOrEqualToThreshold"),
            evaluation_periods: 2u32.into(),
            datapoints_to_alarm: Some(2u32.into()),
            threshold: 5.0,
            treat_missing_data: Some(Expr::from("notBreaching")),
            metrics: vec![
                MetricDataQuery::metric("errors", metric("HTTPCode_Target_5XX_Count"), "Sum", 60),
                MetricDataQuery::compared_expression("rate", "100 * errors", "rate", 60),
            ],
        };
        let v = Resource::new(&alarm)
            .expect("renders")
            .properties_json()
            .expect("renders");
        assert_eq!(v["EvaluationPeriods"], 2);
        assert!(v["Threshold"].is_f64());
        assert_eq!(
            v["Metrics"][0]["MetricStat"],
            json!({"Metric": {"MetricName": "HTTPCode_Target_5XX_Count", "Namespace": "AWS/ApplicationELB", "Dimensions": [{"Name": "LoadBalancer", "Value": {"Fn::GetAtt": ["Lb", "LoadBalancerFullName"]}}]}, "Period": 60, "Stat": "Sum"})
        );
        assert_eq!(
            v["Metrics"][1],
            json!({"Id": "rate", "Expression": "100 * errors", "Label": "rate", "Period": 60, "ReturnData": true})
        );
    }
}
