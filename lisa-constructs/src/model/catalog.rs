//! The instance types a LISA-hosted model may run on, with what the task definition needs to know.
//!
//! # How to size an instance for a model
//!
//! The weights take parameters × bytes per parameter: 2 bytes in fp16 or bf16, 1 in fp8 or int8,
//! about 0.5 in 4-bit formats, so a 7B model needs about 14 GB and a 70B model about 140 GB in
//! bf16. On top of the weights the server needs room for the KV cache (grows with the context
//! length and the number of concurrent sequences: for vLLM, `--max-model-len` and
//! `--max-num-seqs`) and some overhead for activations and the CUDA context (count 10–20%).
//! Compare the sum with the instance's total GPU memory (the GPU count × the memory per GPU:
//! 16 GB on g4dn's T4, 24 GB on g5's A10G and g6's L4, 48 GB on g6e's L40S, 40 GB on p4d's A100
//! and 80 GB on p4de's, 80 GB on p5's H100, 141 GB on p5e/p5en's H200); a model that needs more
//! than one GPU is split with tensor parallelism over all of the instance's GPUs. The instance's
//! own memory ([`InstanceSpec::memory_mib`]) only has to hold the server process and the page
//! cache of the weights; what a task may reserve of it is [`InstanceSpec::task_memory_mib`].

/// One supported EC2 instance type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstanceSpec {
    /// The EC2 name, such as `g5.xlarge`.
    pub name: &'static str,
    /// NVIDIA GPUs on the instance (0 for CPU types).
    pub gpus: u32,
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Memory in MiB.
    pub memory_mib: u32,
    /// Whether the instance has local NVMe instance storage for weights and Docker's data.
    pub local_nvme: bool,
}

impl InstanceSpec {
    /// The family part of the name (`g5` for `g5.xlarge`).
    pub fn family(&self) -> &'static str {
        self.name
            .split_once('.')
            .map_or(self.name, |(family, _)| family)
    }

    /// What the model's task may reserve (MiB): the installed memory less what the host keeps,
    /// `HOST_MEMORY_PERCENT` (5%) of it and at least `MIN_HOST_MEMORY_MIB` (2 GiB). ECS places
    /// tasks against the memory the kernel reports, which is less than the installed amount (the
    /// kernel and firmware keep about 2.5% of 8 GiB and 1.7% of 128 GiB), and the OS, Docker and
    /// the ECS agent need room beside the task.
    pub fn task_memory_mib(&self) -> u32 {
        let share = self.memory_mib / 100 * HOST_MEMORY_PERCENT;
        self.memory_mib
            .saturating_sub(share.max(MIN_HOST_MEMORY_MIB))
    }

    /// The supported regions that offer this instance type.
    pub fn regions(&self) -> impl Iterator<Item = &'static str> + use<> {
        let family = self.family();
        let missing: &'static [&'static str] = NOT_OFFERED_IN
            .iter()
            .find(|(f, _)| *f == family)
            .map_or(&[], |(_, regions)| regions);
        SUPPORTED_REGIONS
            .iter()
            .copied()
            .filter(move |region| !missing.contains(region))
    }

    /// Whether `region` offers this instance type (false for regions the product does not support).
    pub fn offered_in(&self, region: &str) -> bool {
        self.regions().any(|r| r == region)
    }
}

/// The regions the product supports: where most of the catalog's GPU families are offered.
pub const SUPPORTED_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-northeast-1",
    "ap-southeast-2",
];

/// The supported regions that do not offer a family (the EC2 offerings as recorded in cfn-lint's
/// region data; the lint tests check this table against it).
const NOT_OFFERED_IN: &[(&str, &[&str])] = &[
    ("g6", &["eu-west-1"]),
    ("g6e", &["eu-west-1", "ap-southeast-2"]),
    ("p4de", &["us-east-2", "eu-west-1", "ap-southeast-2"]),
    ("p5", &["eu-west-1", "eu-central-1"]),
    (
        "p5e",
        &[
            "us-east-1",
            "us-west-2",
            "eu-west-1",
            "eu-central-1",
            "ap-northeast-1",
            "ap-southeast-2",
        ],
    ),
    ("p5en", &["eu-west-1", "eu-central-1", "ap-southeast-2"]),
];

const GIB: u32 = 1024;

/// The share of an instance's memory (percent) kept out of task reservations: the kernel's part
/// and room for the OS, Docker and the ECS agent (AWS suggests keeping 5% for such processes).
pub const HOST_MEMORY_PERCENT: u32 = 5;
/// The least memory (MiB) kept out of task reservations, for small instances.
pub const MIN_HOST_MEMORY_MIB: u32 = 2048;

const fn spec(
    name: &'static str,
    gpus: u32,
    vcpus: u32,
    memory_gib: u32,
    local_nvme: bool,
) -> InstanceSpec {
    InstanceSpec {
        name,
        gpus,
        vcpus,
        memory_mib: memory_gib * GIB,
        local_nvme,
    }
}

/// Every supported instance type, grouped by family.
pub const CATALOG: &[InstanceSpec] = &[
    spec("g4dn.xlarge", 1, 4, 16, true),
    spec("g4dn.2xlarge", 1, 8, 32, true),
    spec("g4dn.4xlarge", 1, 16, 64, true),
    spec("g4dn.8xlarge", 1, 32, 128, true),
    spec("g4dn.12xlarge", 4, 48, 192, true),
    spec("g4dn.16xlarge", 1, 64, 256, true),
    spec("g5.xlarge", 1, 4, 16, true),
    spec("g5.2xlarge", 1, 8, 32, true),
    spec("g5.4xlarge", 1, 16, 64, true),
    spec("g5.8xlarge", 1, 32, 128, true),
    spec("g5.12xlarge", 4, 48, 192, true),
    spec("g5.16xlarge", 1, 64, 256, true),
    spec("g5.24xlarge", 4, 96, 384, true),
    spec("g5.48xlarge", 8, 192, 768, true),
    spec("g6.xlarge", 1, 4, 16, true),
    spec("g6.2xlarge", 1, 8, 32, true),
    spec("g6.4xlarge", 1, 16, 64, true),
    spec("g6.8xlarge", 1, 32, 128, true),
    spec("g6.12xlarge", 4, 48, 192, true),
    spec("g6.16xlarge", 1, 64, 256, true),
    spec("g6.24xlarge", 4, 96, 384, true),
    spec("g6.48xlarge", 8, 192, 768, true),
    spec("g6e.xlarge", 1, 4, 32, true),
    spec("g6e.2xlarge", 1, 8, 64, true),
    spec("g6e.4xlarge", 1, 16, 128, true),
    spec("g6e.8xlarge", 1, 32, 256, true),
    spec("g6e.12xlarge", 4, 48, 384, true),
    spec("g6e.16xlarge", 1, 64, 512, true),
    spec("g6e.24xlarge", 4, 96, 768, true),
    spec("g6e.48xlarge", 8, 192, 1536, true),
    spec("p4d.24xlarge", 8, 96, 1152, true),
    spec("p4de.24xlarge", 8, 96, 1152, true),
    spec("p5.48xlarge", 8, 192, 2048, true),
    spec("p5e.48xlarge", 8, 192, 2048, true),
    spec("p5en.48xlarge", 8, 192, 2048, true),
    spec("m5.large", 0, 2, 8, false),
    spec("m5.xlarge", 0, 4, 16, false),
    spec("m5.2xlarge", 0, 8, 32, false),
    spec("m5.4xlarge", 0, 16, 64, false),
    spec("m5.8xlarge", 0, 32, 128, false),
    spec("m5.12xlarge", 0, 48, 192, false),
];

/// Looks up an instance type by its exact EC2 name.
pub fn instance(name: &str) -> Option<&'static InstanceSpec> {
    CATALOG.iter().find(|spec| spec.name == name)
}

/// The supported families in catalog order, for error messages.
pub fn families() -> Vec<&'static str> {
    let mut families: Vec<&'static str> = Vec::new();
    for spec in CATALOG {
        if !families.contains(&spec.family()) {
            families.push(spec.family());
        }
    }
    families
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_up_gpu_and_memory() {
        let g5 = instance("g5.12xlarge").expect("in catalog");
        assert_eq!((g5.gpus, g5.vcpus, g5.memory_mib), (4, 48, 196_608));
        assert_eq!(instance("g5.13xlarge"), None);
    }

    #[test]
    fn task_memory_keeps_five_percent_and_at_least_two_gib() {
        let small = instance("g5.xlarge").expect("in catalog");
        assert_eq!(small.task_memory_mib(), 16 * GIB - MIN_HOST_MEMORY_MIB);
        let large = instance("g5.8xlarge").expect("in catalog");
        assert_eq!(large.task_memory_mib(), 128 * GIB - 128 * GIB / 100 * 5);
        assert!(CATALOG.iter().all(|s| s.task_memory_mib() < s.memory_mib));
    }

    #[test]
    fn regions_leave_out_where_a_family_is_not_offered() {
        let g6 = instance("g6.xlarge").expect("in catalog");
        assert!(g6.offered_in("us-east-1"));
        assert!(!g6.offered_in("eu-west-1"));
        assert!(!g6.offered_in("mars-north-1"));
        assert_eq!(
            instance("p5e.48xlarge")
                .expect("in catalog")
                .regions()
                .collect::<Vec<_>>(),
            ["us-east-2"]
        );
        assert_eq!(
            instance("g5.xlarge").expect("in catalog").regions().count(),
            SUPPORTED_REGIONS.len()
        );
    }

    #[test]
    fn names_are_unique_and_families_complete() {
        for (i, a) in CATALOG.iter().enumerate() {
            assert!(
                CATALOG[i + 1..].iter().all(|b| b.name != a.name),
                "{} twice",
                a.name
            );
        }
        assert_eq!(
            families(),
            [
                "g4dn", "g5", "g6", "g6e", "p4d", "p4de", "p5", "p5e", "p5en", "m5"
            ]
        );
    }
}
