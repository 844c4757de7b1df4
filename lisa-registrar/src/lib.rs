//! The LiteLLM registration custom resource's handler.
