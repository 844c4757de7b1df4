//! The Admin API's OpenAPI document as a reference page of the guide
//! (`docs/src/reference/openapi.json`), generated from the same code the server serves it from:
//! this test fails when the page is stale, and `LISA_UPDATE_DOCS=1` rewrites it.

use std::path::Path;

#[test]
fn the_openapi_reference_page_is_the_document_the_server_serves() {
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/src/reference/openapi.json");
    let document = lisa_api::openapi_document::<lisa_api::ModelView>();
    let expected = format!(
        "{}\n",
        serde_json::to_string_pretty(&document).expect("the document renders")
    );
    if std::env::var_os("LISA_UPDATE_DOCS").is_some_and(|value| value == "1") {
        std::fs::write(&page, &expected).expect("the page is written");
        return;
    }
    let current = std::fs::read_to_string(&page).unwrap_or_default();
    assert!(
        current == expected,
        "{} is stale (LISA_UPDATE_DOCS=1 rewrites it)",
        page.display()
    );
}
