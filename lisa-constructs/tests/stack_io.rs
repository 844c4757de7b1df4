//! The model stack's inputs and outputs: every parameter of every synthesized case gets a value
//! from the example environment, and the outputs the deployer reads are the ones declared.

mod common;

use lisa_constructs::ecs_model::stack_io::{
    Functions, ModelStackOutputs, output, parameter_values,
};
use lisa_constructs::environment::Environment;

const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:lisa-registrar";

fn environment(certificate: bool) -> Environment {
    let path = common::workspace().join("examples/environments/environment.json");
    let text = std::fs::read_to_string(&path).expect("example environment");
    let mut environment = Environment::from_json_str(&text).expect("valid example");
    if certificate {
        environment.certificate_arn =
            Some("arn:aws:acm:us-east-1:123456789012:certificate/abc".to_owned());
    }
    environment
}

fn functions() -> Functions {
    Functions {
        registration_function_arn: FUNCTION_ARN.to_owned(),
        lifecycle_function_arn: Some(
            "arn:aws:lambda:us-east-1:123456789012:function:lisa-lifecycle".to_owned(),
        ),
        scheduler_role_arn: Some("arn:aws:iam::123456789012:role/lisa-scheduler".to_owned()),
        gate_function_arn: Some(
            "arn:aws:lambda:us-east-1:123456789012:function:lisa-gate".to_owned(),
        ),
        gate_security_group_id: Some("sg-0123456789abcdef0".to_owned()),
    }
}

#[test]
fn every_parameter_of_every_case_gets_a_value() {
    for case in common::cases() {
        let stack = common::synth(&case);
        let values = parameter_values(
            &stack.template,
            &environment(case.options.https),
            &functions(),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let names: Vec<&String> = stack.template.parameters.keys().collect();
        let given: Vec<&String> = values.iter().map(|(name, _)| name).collect();
        assert_eq!(given, names, "{}", case.name);
        for (name, declared) in &stack.template.parameters {
            let value = &values.iter().find(|(n, _)| n == name).expect("given").1;
            if declared.default.is_none() {
                assert!(!value.is_empty(), "{}: {name} is empty", case.name);
            }
        }
    }
}

#[test]
fn an_https_stack_without_a_certificate_in_the_environment_is_refused() {
    let stack = common::synth(&common::case("seed-mistral-vllm-https"));
    let error = parameter_values(&stack.template, &environment(false), &functions())
        .expect_err("no certificate");
    assert_eq!(
        error.to_string(),
        "parameter CertificateArn has no value in the environment and no default"
    );
}

#[test]
fn the_outputs_read_back_are_the_ones_every_stack_declares() {
    for case in common::cases() {
        let stack = common::synth(&case);
        let declared: Vec<(&str, &str)> = stack
            .template
            .outputs
            .keys()
            .map(|name| (name.as_str(), "value"))
            .collect();
        let read = ModelStackOutputs::from_outputs(declared);
        assert_eq!(
            read.litellm_model_id.as_deref(),
            Some("value"),
            "{}",
            case.name
        );
        let hosted = common::definition(case.file).hosting.is_some();
        assert_eq!(read.model_endpoint_url.is_some(), hosted, "{}", case.name);
        assert_eq!(
            read.auto_scaling_group_name.is_some(),
            hosted,
            "{}",
            case.name
        );
    }
    assert_eq!(output::LITELLM_MODEL_ID, "LiteLlmModelId");
}
