//! The AWS clients, how they are configured, and retries of throttled calls with backoff and
//! jitter (on top of the SDK's own attempts).

use crate::aws_errors::AwsFault;
use crate::error::DeployError;
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use backon::{ExponentialBuilder, Retryable};
use std::future::Future;
use std::time::Duration;

/// The clients the deployer uses, from one configuration.
#[derive(Debug, Clone)]
pub struct Clients {
    /// CloudFormation.
    pub cloudformation: aws_sdk_cloudformation::Client,
    /// DynamoDB (the registry).
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// S3 (registration code and large templates).
    pub s3: aws_sdk_s3::Client,
    /// EC2 (instance-type offerings).
    #[cfg(feature = "preflight")]
    pub ec2: aws_sdk_ec2::Client,
    /// Service Quotas (the vCPU quota).
    #[cfg(feature = "preflight")]
    pub service_quotas: aws_sdk_servicequotas::Client,
    /// ECS (why a model's task stopped).
    pub ecs: aws_sdk_ecs::Client,
    /// The region the clients talk to.
    pub region: String,
    /// The endpoint every call goes to, when one is set (an emulator, a VPC endpoint).
    pub endpoint_url: Option<String>,
    /// Where the clients' credentials come from ([`Clients::check`] asks it once).
    pub credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
}

/// How long [`Clients::check`] waits for a TCP connection to an endpoint, and for credentials.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// The SDK's attempts per call before our own throttling retries take over.
pub const SDK_MAX_ATTEMPTS: u32 = 5;

impl Clients {
    /// Clients from a loaded SDK configuration. S3 uses path-style addressing when an endpoint
    /// override is set (emulators do not resolve bucket subdomains).
    pub fn from_config(config: &SdkConfig) -> Clients {
        let s3 = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(config.endpoint_url().is_some())
            .build();
        Clients {
            cloudformation: aws_sdk_cloudformation::Client::new(config),
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            s3: aws_sdk_s3::Client::from_conf(s3),
            #[cfg(feature = "preflight")]
            ec2: aws_sdk_ec2::Client::new(config),
            #[cfg(feature = "preflight")]
            service_quotas: aws_sdk_servicequotas::Client::new(config),
            ecs: aws_sdk_ecs::Client::new(config),
            region: config
                .region()
                .map_or_else(String::new, |r| r.as_ref().to_owned()),
            endpoint_url: config.endpoint_url().map(str::to_owned),
            credentials: config.credentials_provider(),
        }
    }

    /// Checks, before any call, what an operator must set for calls to succeed: a region,
    /// credentials, and (when one is set) an endpoint that accepts connections. Each problem
    /// is one line naming the fix ([`crate::ErrorClass::Misconfigured`]), within seconds, where
    /// the first call would otherwise retry for a while and fail with the SDK's whole chain.
    pub async fn check(&self) -> Result<(), DeployError> {
        if self.region.is_empty() {
            return Err(DeployError::NoRegion);
        }
        if let Some(endpoint) = &self.endpoint_url {
            check_endpoint(endpoint).await?;
        }
        if let Some(provider) = &self.credentials {
            use aws_credential_types::provider::ProvideCredentials;
            match tokio::time::timeout(CHECK_TIMEOUT, provider.provide_credentials()).await {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => {
                    return Err(DeployError::NoCredentials {
                        reason: error.to_string(),
                    });
                }
                Err(_) => {
                    return Err(DeployError::NoCredentials {
                        reason: format!("none found within {} s", CHECK_TIMEOUT.as_secs()),
                    });
                }
            }
        }
        Ok(())
    }

    /// Clients for an emulator or a fixed account: static credentials, an explicit region and
    /// endpoint, nothing probed (no profile, no instance metadata).
    pub async fn with_static_credentials(
        endpoint_url: &str,
        region: &str,
        access_key_id: &str,
        secret_access_key: &str,
    ) -> Clients {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_owned()))
            .endpoint_url(endpoint_url)
            .credentials_provider(aws_sdk_cloudformation::config::Credentials::new(
                access_key_id,
                secret_access_key,
                None,
                None,
                "static",
            ))
            .retry_config(RetryConfig::standard().with_max_attempts(SDK_MAX_ATTEMPTS))
            .load()
            .await;
        Clients::from_config(&config)
    }

    /// Loads the configuration the way the AWS CLI does (environment, profile, instance role),
    /// with an optional region and endpoint override.
    pub async fn load(region: Option<String>, endpoint_url: Option<String>) -> Clients {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::standard().with_max_attempts(SDK_MAX_ATTEMPTS));
        if let Some(region) = region {
            loader = loader.region(aws_config::Region::new(region));
        }
        if let Some(endpoint_url) = endpoint_url {
            loader = loader.endpoint_url(endpoint_url);
        }
        Clients::from_config(&loader.load().await)
    }
}

/// How many times a throttled call is tried again by [`call`] (after the SDK's own attempts).
pub const THROTTLE_RETRIES: u32 = 6;

/// How throttled calls are tried again: each pause is drawn between half its ceiling and its
/// ceiling, and the ceiling doubles from `base` up to `cap`.
#[derive(Debug, Clone, Copy)]
struct Backoff {
    /// The first pause's ceiling.
    base: Duration,
    /// The largest pause's ceiling.
    cap: Duration,
    /// How many times a throttled call is tried again.
    retries: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(20),
            retries: THROTTLE_RETRIES,
        }
    }
}

impl Backoff {
    /// The pauses, as `backon` draws them: its jitter adds up to the pause again.
    fn pauses(self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.base / 2)
            .with_max_delay(self.cap / 2)
            .with_max_times(self.retries as usize)
            .with_jitter()
    }
}

/// Runs an AWS call, trying again after a backoff with jitter while the service throttles, and
/// turns a final error into [`DeployError::Aws`] naming the operation.
pub async fn call<T, E, F, Fut>(operation: &'static str, attempt: F) -> Result<T, DeployError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    call_with(operation, Backoff::default(), attempt).await
}

/// [`call`] with a given backoff.
async fn call_with<T, E, F, Fut>(
    operation: &'static str,
    policy: Backoff,
    mut attempt: F,
) -> Result<T, DeployError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    // On the heap: an SDK call's future is tens of kilobytes, and every operation that awaits
    // several of them would carry them all in its own.
    (|| Box::pin(attempt()))
        .retry(policy.pauses())
        .when(|error: &E| AwsFault::is_throttling(error.code()))
        .await
        .map_err(|error| aws_error(operation, &error))
}

/// An AWS error as a [`DeployError`].
pub fn aws_error<E>(operation: &'static str, error: &E) -> DeployError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let fault = AwsFault::of(error.code(), error);
    let message = match error.message() {
        Some(message) => message.to_owned(),
        // No answer from the service: the innermost cause says what happened, in one line
        // (the whole chain repeats itself and can run over many lines).
        None => innermost(error)
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
    };
    DeployError::Aws {
        operation,
        code: error.code().map(str::to_owned),
        message,
        fault,
    }
}

fn innermost<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> &'a (dyn std::error::Error + 'static) {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    current
}

/// Connects to an endpoint's host and port once, to fail at once when nothing listens there.
async fn check_endpoint(endpoint: &str) -> Result<(), DeployError> {
    let unreachable = |reason: String| DeployError::Unreachable {
        endpoint: endpoint.to_owned(),
        reason,
    };
    let rest = endpoint
        .split_once("://")
        .map_or(endpoint, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let default_port = if endpoint.starts_with("http://") {
        80
    } else {
        443
    };
    let address = if authority
        .rsplit_once(':')
        .is_some_and(|(_, port)| port.parse::<u16>().is_ok())
    {
        authority.to_owned()
    } else {
        format!("{authority}:{default_port}")
    };
    match tokio::time::timeout(CHECK_TIMEOUT, tokio::net::TcpStream::connect(&address)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(unreachable(error.to_string())),
        Err(_) => Err(unreachable(format!(
            "no answer within {} s",
            CHECK_TIMEOUT.as_secs()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use aws_sdk_cloudformation::error::ErrorMetadata;

    #[derive(Debug)]
    struct Coded(ErrorMetadata);

    impl std::fmt::Display for Coded {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{:?}", self.0.code())
        }
    }

    impl std::error::Error for Coded {}

    impl ProvideErrorMetadata for Coded {
        fn meta(&self) -> &ErrorMetadata {
            &self.0
        }
    }

    fn quick() -> Backoff {
        Backoff {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(4),
            retries: THROTTLE_RETRIES,
        }
    }

    fn coded(code: &str) -> Coded {
        Coded(
            ErrorMetadata::builder()
                .code(code)
                .message("slow down")
                .build(),
        )
    }

    #[tokio::test]
    async fn throttled_calls_are_tried_again_and_other_errors_are_not() {
        let mut attempts = 0;
        let result: Result<u32, DeployError> = call_with("Test.Op", quick(), || {
            attempts += 1;
            let outcome = if attempts < 4 {
                Err(coded("Throttling"))
            } else {
                Ok(7)
            };
            async move { outcome }
        })
        .await;
        assert_eq!(result.ok(), Some(7));
        assert_eq!(attempts, 4);

        let mut attempts = 0;
        let result: Result<u32, DeployError> = call_with("Test.Op", quick(), || {
            attempts += 1;
            async { Err(coded("ValidationError")) }
        })
        .await;
        assert_eq!(attempts, 1);
        assert!(
            matches!(result, Err(DeployError::Aws { operation: "Test.Op", code: Some(ref c), .. }) if c == "ValidationError")
        );

        let mut attempts = 0;
        let result: Result<u32, DeployError> = call_with("Test.Op", quick(), || {
            attempts += 1;
            async { Err(coded("ThrottlingException")) }
        })
        .await;
        assert_eq!(attempts, THROTTLE_RETRIES + 1);
        assert!(result.is_err());
    }

    #[test]
    fn each_pause_lies_between_half_its_ceiling_and_its_ceiling() {
        use backon::BackoffBuilder;
        let policy = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(2),
            retries: 20,
        };
        let pauses: Vec<Duration> = policy.pauses().build().collect();
        assert_eq!(pauses.len(), 20);
        for (retry, pause) in pauses.iter().enumerate() {
            let ceiling = policy
                .base
                .saturating_mul(1 << retry.min(16))
                .min(policy.cap);
            assert!(
                *pause >= ceiling / 2 && *pause <= ceiling,
                "retry {retry}: {pause:?} not within {ceiling:?}"
            );
        }
        let drawn: std::collections::BTreeSet<Duration> = (0..20)
            .filter_map(|_| policy.pauses().build().nth(5))
            .collect();
        assert!(drawn.len() > 1, "jitter varies the pause");
    }
}
