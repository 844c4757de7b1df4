//! The stand-in's request check is itself tested: it accepts what LiteLLM's OpenAPI description
//! allows and refuses the rest, so a passing handler test means calls LiteLLM would take.

mod support;

use support::openapi::Contract;

#[test]
fn the_contract_check_catches_bad_requests() {
    let c = Contract::load();
    assert!(
        c.check("POST", "/model/delete", &[], br#"{"id": "x"}"#)
            .is_empty()
    );
    assert!(
        !c.check("POST", "/model/delete", &[], br#"{"model": "x"}"#)
            .is_empty()
    );
    assert!(
        !c.check("POST", "/model/delete", &[], br#"{"id": 5}"#)
            .is_empty()
    );
    assert!(!c.check("POST", "/model/remove", &[], b"{}").is_empty());
    assert!(
        !c.check(
            "GET",
            "/model/info",
            &[("model_id".into(), "x".into())],
            b""
        )
        .is_empty()
    );
    assert!(
        c.check(
            "GET",
            "/model/info",
            &[("litellm_model_id".into(), "x".into())],
            b""
        )
        .is_empty()
    );
    let ok = br#"{"model_name": "m", "litellm_params": {"model": "openai/x"}, "model_info": {"id": "i", "mode": "chat"}}"#;
    assert!(
        c.check("POST", "/model/new", &[], ok).is_empty(),
        "{:?}",
        c.check("POST", "/model/new", &[], ok)
    );
    let bad = br#"{"model_name": "m", "litellm_params": {"api_base": "x"}, "model_info": {}}"#;
    assert!(!c.check("POST", "/model/new", &[], bad).is_empty());
}
