//! Every numeric bound, length limit and pattern of the payloads, in one place: the reader
//! enforces them, the JSON Schema publishes them and the template guards re-check them, so the
//! three cannot drift apart. Where AWS sets a limit, the constant names the service that sets it.

/// A whole-number field: `min..=max`, with the unit its messages name ("s", "MiB", "GiB" or "").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntBound {
    /// The smallest value allowed.
    pub min: u32,
    /// The largest value allowed.
    pub max: u32,
    /// The unit named in messages.
    pub unit: &'static str,
}

impl IntBound {
    const fn new(min: u32, max: u32, unit: &'static str) -> Self {
        IntBound { min, max, unit }
    }

    /// Whether `n` is within the bound.
    pub fn contains(&self, n: i64) -> bool {
        n >= i64::from(self.min) && n <= i64::from(self.max)
    }

    pub(crate) fn contains_wide(&self, n: i128) -> bool {
        n >= i128::from(self.min) && n <= i128::from(self.max)
    }
}

/// ECS: a container health check's interval, 5 to 300 seconds.
pub const CONTAINER_HEALTH_INTERVAL: IntBound = IntBound::new(5, 300, "s");
/// ECS: a container health check's start period, 0 to 300 seconds.
pub const CONTAINER_HEALTH_START_PERIOD: IntBound = IntBound::new(0, 300, "s");
/// ECS: a container health check's timeout, 2 to 120 seconds.
pub const CONTAINER_HEALTH_TIMEOUT: IntBound = IntBound::new(2, 120, "s");
/// ECS: a container health check's retries, 1 to 10.
pub const CONTAINER_HEALTH_RETRIES: IntBound = IntBound::new(1, 10, "");
/// Elastic Load Balancing: a target group health check's interval, 5 to 300 seconds.
pub const TARGET_HEALTH_INTERVAL: IntBound = IntBound::new(5, 300, "s");
/// Elastic Load Balancing: a target group health check's timeout, 2 to 120 seconds.
pub const TARGET_HEALTH_TIMEOUT: IntBound = IntBound::new(2, 120, "s");
/// Elastic Load Balancing: healthy and unhealthy threshold counts, 2 to 10.
pub const TARGET_HEALTH_THRESHOLD: IntBound = IntBound::new(2, 10, "");
/// Serving instances, one task each (a model is stopped with `enabled: false`, never a size
/// of 0). ECS runs at most 5,000 tasks per service (its default quota), and a blue/green
/// deployment doubles the instances for a while, so the group's largest size stays 10,000.
pub const CAPACITY: IntBound = IntBound::new(1, 5_000, "");
/// Auto Scaling: the group's default cooldown in seconds.
pub const COOLDOWN: IntBound = IntBound::new(1, u32::MAX, "s");
/// Auto Scaling: DefaultInstanceWarmup and a policy's EstimatedInstanceWarmup, 1 to 3600 s.
pub const INSTANCE_WARMUP: IntBound = IntBound::new(1, 3600, "s");
/// EC2: the root volume in GiB (gp3 volumes stop at 16,384 GiB; 30 holds the ECS AMI).
pub const BLOCK_DEVICE_VOLUME_SIZE: IntBound = IntBound::new(30, 16_384, "GiB");
/// The scaling metric's period in seconds.
pub const METRIC_DURATION: IntBound = IntBound::new(1, u32::MAX, "s");
/// ECS: shared memory (`/dev/shm`) in MiB; also at most the instance's memory.
pub const SHARED_MEMORY_SIZE: IntBound = IntBound::new(1, u32::MAX, "MiB");

/// `containerConfig.serverArgs`: at most this many arguments.
pub const SERVER_ARGS_MAX_COUNT: usize = 64;
/// One server argument: at most this many bytes (an inline chat template fits).
pub const SERVER_ARG_MAX_BYTES: usize = 4096;
/// Every server argument together: at most this many bytes, so that the task definition keeps
/// room for the environment ([`ENVIRONMENT_MAX_BYTES`]) within ECS's limit.
pub const SERVER_ARGS_MAX_BYTES: usize = 8192;
/// A server argument: one argument, no control character (no newline or NUL could pass from
/// the array into the command).
pub const SERVER_ARG_PATTERN: &str = r"^[^\u0000-\u001f\u007f-\u009f]+$";
/// `serverMetric.targetValue` of `kvCacheUse`: a share of the cache, at most 1.
pub const KV_CACHE_TARGET_MAX: f64 = 1.0;

/// A model id: 1 to 63 characters of `[a-z0-9-]`, starting with a letter and not ending with
/// `-`, so it is safe in stack and resource names.
pub const MODEL_ID_MAX_CHARS: usize = 63;
/// [`MODEL_ID_MAX_CHARS`] as a pattern (it also bounds the length).
pub const MODEL_ID_PATTERN: &str = r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$";

/// S3: a hosted model's name is a key prefix in the models bucket, and S3 keys stop at 1,024
/// bytes. The same bound applies to LiteLLM model strings.
pub const MODEL_NAME_MAX_BYTES: usize = 1024;
/// `modelUrl`: a URL, bounded like an S3 key.
pub const MODEL_URL_MAX_BYTES: usize = 1024;
/// ECS: an image reference is at most 255 characters.
pub const BASE_IMAGE_MAX_BYTES: usize = 255;
/// Elastic Load Balancing: a health check path is 1 to 1,024 characters.
pub const HEALTH_CHECK_PATH_MAX_BYTES: usize = 1024;
/// ECS: a task definition is at most 64 KiB of JSON; the template guard
/// `task-definition-size` holds every task definition of a stack to it.
pub const TASK_DEFINITION_MAX_BYTES: usize = 64 * 1024;
/// ECS: the environment may take half of a task definition ([`TASK_DEFINITION_MAX_BYTES`]).
pub const ENVIRONMENT_MAX_BYTES: usize = TASK_DEFINITION_MAX_BYTES / 2;
/// ECS: variables per container, so that names and values fit the task definition.
pub const ENVIRONMENT_MAX_VARIABLES: usize = 500;
/// An environment variable's name.
pub const ENVIRONMENT_NAME_PATTERN: &str = r"^[A-Za-z_][A-Za-z0-9_]*$";
/// A model name: no whitespace and no control characters (it is an S3 key prefix or a LiteLLM
/// model string, and it travels in templates and API calls).
pub const MODEL_NAME_PATTERN: &str = r"^[^\s\u0000-\u001f\u007f-\u009f]+$";
/// A target health check's path starts with `/`.
pub const HEALTH_CHECK_PATH_PATTERN: &str = "^/";

/// A time of day in a model schedule: `HH:MM` on the 24-hour clock, 00:00 to 23:59. Whole
/// minutes, as EventBridge Scheduler's cron expressions take them.
pub const TIME_OF_DAY_PATTERN: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";

/// EventBridge Scheduler: `ScheduleExpressionTimezone` is at most 50 characters (every IANA
/// name is shorter). A longer text is refused before it is compared with any name.
pub const TIME_ZONE_MAX_BYTES: usize = 50;

/// A pattern as messages show it, without its anchors.
pub(crate) fn unanchored(pattern: &str) -> &str {
    pattern.trim_start_matches('^').trim_end_matches('$')
}

/// Lambda: a synchronous request (the Admin API's create and update calls) is at most 6 MB, so
/// no larger payload is a definition; larger input is refused before it is read.
pub const PAYLOAD_MAX_BYTES: usize = 6 * 1024 * 1024;

/// CloudFormation: a template stored in S3 is at most 1 MB; a larger one is refused before it
/// is written.
pub const TEMPLATE_MAX_BYTES: usize = 1_000_000;
/// CloudFormation: a template sent inline (`--template-body`) is at most 51,200 bytes; a larger
/// one must be uploaded to S3 first.
pub const TEMPLATE_INLINE_MAX_BYTES: usize = 51_200;

/// A string field's limit as a message: "must be at most N bytes long, found M bytes".
pub(crate) fn too_long(max: usize, found: usize) -> String {
    format!("must be at most {max} bytes long, found {found} bytes")
}
