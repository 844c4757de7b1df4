//! Lambda function packages made as `scripts/package-functions` makes them: the `zip` tool run
//! on a folder holding one executable named `bootstrap`. The executable is made up: a 64-bit
//! ELF header naming the machine it is for, then filler (enough for `zip` to deflate it).
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// ELF `e_machine` of x86_64, the functions' architecture.
pub const X86_64: u16 = 62;
/// ELF `e_machine` of arm64.
pub const AARCH64: u16 = 183;

/// The bytes of a 64-bit little-endian position-independent executable for `machine`.
pub fn executable(machine: u16) -> Vec<u8> {
    let mut bytes = vec![0u8; 64];
    bytes[..4].copy_from_slice(b"\x7fELF");
    bytes[4] = 2; // 64-bit
    bytes[5] = 1; // little-endian
    bytes[6] = 1; // ELF version
    bytes[16..18].copy_from_slice(&3u16.to_le_bytes()); // ET_DYN
    bytes[18..20].copy_from_slice(&machine.to_le_bytes());
    for i in 0..4096u32 {
        bytes.extend_from_slice(format!("{:x} ", i.wrapping_mul(2_654_435_761)).as_bytes());
    }
    bytes
}

/// `dir/NAME.zip` holding `contents` as `entry`, with Unix `mode`.
pub fn package(dir: &Path, name: &str, entry: &str, contents: &[u8], mode: u32) -> PathBuf {
    let staging = dir.join(format!("{name}.d"));
    std::fs::create_dir_all(&staging).expect("mkdir");
    let file = staging.join(entry);
    std::fs::write(&file, contents).expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).expect("chmod");
    let zip = dir.join(format!("{name}.zip"));
    let status = std::process::Command::new("zip")
        .args(["-q", "-X"])
        .arg(&zip)
        .arg(entry)
        .current_dir(&staging)
        .status()
        .expect("zip runs (scripts/package-functions needs it too)");
    assert!(status.success(), "zip failed");
    zip
}

/// A package the `provided.al2023` runtime can start on x86_64.
pub fn runnable(dir: &Path, name: &str) -> PathBuf {
    package(dir, name, "bootstrap", &executable(X86_64), 0o755)
}
