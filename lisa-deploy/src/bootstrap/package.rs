//! What can be told of a Lambda function package before it is uploaded: the `provided.al2023`
//! runtime runs the package's top-level file `bootstrap`, so the package must be a zip holding
//! that file, readable and executable by everyone, and a Linux executable for the function's
//! architecture. A package that fails any of these deploys without complaint and fails only at
//! its first invocation, in the middle of a model's create.
//!
//! Only the zip's central directory and the first bytes of `bootstrap` (its ELF header) are
//! read; deflated data is inflated as far as the header (RFC 1951).

/// The instruction sets a Lambda function runs on, by the name the function's `Architectures`
/// gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    /// `x86_64`.
    X86_64,
    /// `arm64`.
    Arm64,
}

impl Architecture {
    /// The architecture of a function's `Architectures` entry.
    pub fn from_lambda_name(name: &str) -> Option<Architecture> {
        match name {
            "x86_64" => Some(Architecture::X86_64),
            "arm64" => Some(Architecture::Arm64),
            _ => None,
        }
    }

    /// The name Lambda gives it.
    pub fn lambda_name(self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        }
    }

    /// The ELF header's `e_machine` of its executables.
    fn elf_machine(self) -> u16 {
        match self {
            Architecture::X86_64 => EM_X86_64,
            Architecture::Arm64 => EM_AARCH64,
        }
    }
}

const EM_386: u16 = 3;
const EM_ARM: u16 = 40;
const EM_X86_64: u16 = 62;
const EM_AARCH64: u16 = 183;

/// A machine's name for a message, by its ELF `e_machine`.
fn machine_name(machine: u16) -> String {
    match machine {
        EM_386 => "x86 (32-bit)".to_owned(),
        EM_ARM => "ARM (32-bit)".to_owned(),
        EM_X86_64 => "x86_64".to_owned(),
        EM_AARCH64 => "arm64 (aarch64)".to_owned(),
        other => format!("ELF machine {other}"),
    }
}

/// The file the runtime runs.
pub const ENTRY: &str = "bootstrap";

/// What is wrong with a function package.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackageProblem {
    /// The file is not a zip archive at all.
    #[error("is not a zip archive (no end of central directory record)")]
    NotAZip,
    /// The archive's structure is broken.
    #[error("is a damaged zip archive: {0}")]
    Damaged(String),
    /// There is no top-level `bootstrap`.
    #[error(
        "holds no file named `bootstrap` at its top ({found}); the provided.al2023 runtime runs that file: scripts/package-functions writes packages that hold it"
    )]
    NoBootstrap {
        /// What it holds instead, for the message.
        found: String,
    },
    /// `bootstrap` is encrypted.
    #[error("`bootstrap` is encrypted; Lambda cannot read it")]
    Encrypted,
    /// `bootstrap` is stored with a compression Lambda does not read.
    #[error(
        "`bootstrap` is compressed with method {0}; Lambda reads stored or deflated files only"
    )]
    Compression(u16),
    /// The zip records no Unix permissions for `bootstrap` (it was made on another system).
    #[error(
        "`bootstrap` has no Unix permissions in the zip (it was zipped on a system that does not record them), so Lambda cannot run it: zip it on Linux after `chmod 755 bootstrap`"
    )]
    NoUnixMode,
    /// `bootstrap` is not a regular file (a link, a directory).
    #[error("`bootstrap` is not a regular file (mode {mode:06o})")]
    NotAFile {
        /// Its Unix mode.
        mode: u32,
    },
    /// `bootstrap` may not be read and run by everyone.
    #[error(
        "`bootstrap` has mode {mode:04o}: Lambda runs it as another user, so everyone must be able to read and execute it (`chmod 755 bootstrap` before zipping)"
    )]
    NotExecutable {
        /// Its permission bits.
        mode: u32,
    },
    /// `bootstrap`'s data cannot be inflated.
    #[error("`bootstrap` cannot be decompressed: {0}")]
    Corrupt(String),
    /// `bootstrap` is not an ELF executable.
    #[error(
        "`bootstrap` is not a Linux executable (no ELF header); build the functions with scripts/package-functions"
    )]
    NotElf,
    /// `bootstrap` is a script: these functions are binaries.
    #[error(
        "`bootstrap` is a script, not the function's binary; build the functions with scripts/package-functions"
    )]
    Script,
    /// `bootstrap` is an ELF file the runtime cannot run (32-bit, big-endian, an object file).
    #[error("`bootstrap` is an ELF file but not a 64-bit little-endian executable ({0})")]
    NotAnExecutable(&'static str),
    /// `bootstrap` is built for another instruction set.
    #[error(
        "`bootstrap` is built for {found}, but the function runs on {expected}: build it with scripts/package-functions (target x86_64-unknown-linux-gnu)"
    )]
    WrongArchitecture {
        /// The binary's machine.
        found: String,
        /// The function's architecture.
        expected: &'static str,
    },
}

/// Every problem of a package for a function on `architecture` (none: the runtime can start it).
pub fn check(zip: &[u8], architecture: Architecture) -> Vec<PackageProblem> {
    let entry = match find_entry(zip) {
        Ok(entry) => entry,
        Err(problem) => return vec![problem],
    };
    let mut problems = Vec::new();
    if let Some(problem) = mode_problem(entry.unix_mode) {
        problems.push(problem);
    }
    match header(zip, &entry) {
        Ok(head) => problems.extend(elf_problem(&head, architecture)),
        Err(problem) => problems.push(problem),
    }
    problems
}

/// The central directory's facts about `bootstrap`.
#[derive(Debug)]
struct Entry {
    flags: u16,
    method: u16,
    compressed_size: usize,
    local_offset: usize,
    /// `None` when the zip was not made on Unix.
    unix_mode: Option<u32>,
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

const END_SIGNATURE: u32 = 0x0605_4b50;
const CENTRAL_SIGNATURE: u32 = 0x0201_4b50;
const LOCAL_SIGNATURE: u32 = 0x0403_4b50;
/// The end record's fixed part; a comment of up to 65535 bytes may follow it.
const END_LENGTH: usize = 22;
/// The host a zip entry was made on, in the high byte of "version made by".
const HOST_UNIX: u16 = 3;

fn damaged(what: &str) -> PackageProblem {
    PackageProblem::Damaged(what.to_owned())
}

fn find_entry(zip: &[u8]) -> Result<Entry, PackageProblem> {
    if zip.len() < END_LENGTH {
        return Err(PackageProblem::NotAZip);
    }
    let earliest = zip.len().saturating_sub(END_LENGTH + usize::from(u16::MAX));
    let end = (earliest..=zip.len() - END_LENGTH)
        .rev()
        .find(|&at| u32_at(zip, at) == Some(END_SIGNATURE))
        .ok_or(PackageProblem::NotAZip)?;
    let count = u16_at(zip, end + 10).ok_or_else(|| damaged("truncated end record"))?;
    let mut at = u32_at(zip, end + 16).ok_or_else(|| damaged("truncated end record"))? as usize;
    let mut names = Vec::new();
    for _ in 0..count {
        if u32_at(zip, at) != Some(CENTRAL_SIGNATURE) {
            return Err(damaged(
                "the central directory does not start where the end record says",
            ));
        }
        let field = |offset: usize| {
            u16_at(zip, at + offset).ok_or_else(|| damaged("truncated central directory"))
        };
        let made_by = field(4)?;
        let flags = field(8)?;
        let method = field(10)?;
        let name_length = usize::from(field(28)?);
        let extra_length = usize::from(field(30)?);
        let comment_length = usize::from(field(32)?);
        let wide = |offset: usize| {
            u32_at(zip, at + offset).ok_or_else(|| damaged("truncated central directory"))
        };
        let compressed_size = wide(20)? as usize;
        let external = wide(38)?;
        let local_offset = wide(42)? as usize;
        let name = zip
            .get(at + 46..at + 46 + name_length)
            .ok_or_else(|| damaged("truncated central directory"))?;
        if name == ENTRY.as_bytes() {
            return Ok(Entry {
                flags,
                method,
                compressed_size,
                local_offset,
                unix_mode: (made_by >> 8 == HOST_UNIX).then_some(external >> 16),
            });
        }
        names.push(String::from_utf8_lossy(name).into_owned());
        at += 46 + name_length + extra_length + comment_length;
    }
    let found = match names.len() {
        0 => "it is empty".to_owned(),
        1..=5 => format!("it holds {}", names.join(", ")),
        n => format!("it holds {} and {} more", names[..5].join(", "), n - 5),
    };
    Err(PackageProblem::NoBootstrap { found })
}

const FILE_TYPE_MASK: u32 = 0o170_000;
const REGULAR_FILE: u32 = 0o100_000;

fn mode_problem(mode: Option<u32>) -> Option<PackageProblem> {
    let Some(mode) = mode else {
        return Some(PackageProblem::NoUnixMode);
    };
    // Some tools record the permission bits alone, without the file type.
    if mode & FILE_TYPE_MASK != 0 && mode & FILE_TYPE_MASK != REGULAR_FILE {
        return Some(PackageProblem::NotAFile { mode });
    }
    let everyone = 0o555;
    (mode & everyone != everyone).then_some(PackageProblem::NotExecutable {
        mode: mode & 0o7777,
    })
}

/// How much of `bootstrap` is read: the ELF header's fields checked here end at byte 20.
const HEADER_LENGTH: usize = 20;

fn header(zip: &[u8], entry: &Entry) -> Result<Vec<u8>, PackageProblem> {
    if entry.flags & 1 != 0 {
        return Err(PackageProblem::Encrypted);
    }
    let at = entry.local_offset;
    if u32_at(zip, at) != Some(LOCAL_SIGNATURE) {
        return Err(damaged(
            "`bootstrap`'s local header is not where the central directory says",
        ));
    }
    let name_length =
        usize::from(u16_at(zip, at + 26).ok_or_else(|| damaged("truncated local header"))?);
    let extra_length =
        usize::from(u16_at(zip, at + 28).ok_or_else(|| damaged("truncated local header"))?);
    let start = at + 30 + name_length + extra_length;
    let data = zip
        .get(start..start.saturating_add(entry.compressed_size).min(zip.len()))
        .ok_or_else(|| damaged("`bootstrap`'s data lies past the end of the file"))?;
    match entry.method {
        0 => Ok(data[..data.len().min(HEADER_LENGTH)].to_vec()),
        8 => inflate_prefix(data, HEADER_LENGTH).map_err(PackageProblem::Corrupt),
        other => Err(PackageProblem::Compression(other)),
    }
}

fn elf_problem(head: &[u8], architecture: Architecture) -> Option<PackageProblem> {
    if !head.starts_with(b"\x7fELF") {
        return Some(if head.starts_with(b"#!") {
            PackageProblem::Script
        } else {
            PackageProblem::NotElf
        });
    }
    if head.len() < HEADER_LENGTH {
        return Some(PackageProblem::NotAnExecutable("the header is cut short"));
    }
    if head[4] != 2 {
        return Some(PackageProblem::NotAnExecutable("32-bit"));
    }
    if head[5] != 1 {
        return Some(PackageProblem::NotAnExecutable("big-endian"));
    }
    // ET_EXEC, or ET_DYN for a position-independent executable (what Rust links by default).
    if !matches!(u16_at(head, 16), Some(2 | 3)) {
        return Some(PackageProblem::NotAnExecutable(
            "an object file or a core dump",
        ));
    }
    let machine = u16_at(head, 18)?;
    (machine != architecture.elf_machine()).then(|| PackageProblem::WrongArchitecture {
        found: machine_name(machine),
        expected: architecture.lambda_name(),
    })
}

/// Reads a deflate stream's bits, least significant first.
struct Bits<'a> {
    data: &'a [u8],
    at: usize,
    bit: u32,
}

const TRUNCATED: &str = "the deflate stream ends early";

impl Bits<'_> {
    fn bit(&mut self) -> Result<u32, String> {
        let byte = *self.data.get(self.at).ok_or(TRUNCATED)?;
        let value = u32::from(byte >> self.bit) & 1;
        self.bit += 1;
        if self.bit == 8 {
            self.bit = 0;
            self.at += 1;
        }
        Ok(value)
    }

    fn bits(&mut self, count: u32) -> Result<u32, String> {
        (0..count).try_fold(0, |value, i| Ok(value | (self.bit()? << i)))
    }

    fn align(&mut self) {
        if self.bit != 0 {
            self.bit = 0;
            self.at += 1;
        }
    }
}

/// A canonical Huffman code: how many codes have each length, and the symbols in code order.
struct Huffman {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Result<Huffman, String> {
        let mut counts = [0u16; 16];
        for &length in lengths {
            counts[usize::from(length)] += 1;
        }
        counts[0] = 0;
        let mut offsets = [0u16; 16];
        for length in 1..15 {
            offsets[length + 1] = offsets[length] + counts[length];
        }
        let mut symbols = vec![0u16; lengths.len()];
        for (symbol, &length) in lengths.iter().enumerate() {
            if length != 0 {
                let slot = &mut offsets[usize::from(length)];
                symbols[usize::from(*slot)] = u16::try_from(symbol).map_err(|e| e.to_string())?;
                *slot += 1;
            }
        }
        Ok(Huffman { counts, symbols })
    }

    fn decode(&self, bits: &mut Bits<'_>) -> Result<u16, String> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for length in 1..16 {
            code |= bits.bit()? as i32;
            let count = i32::from(self.counts[length]);
            if code - first < count {
                let at = usize::try_from(index + code - first).map_err(|e| e.to_string())?;
                return self
                    .symbols
                    .get(at)
                    .copied()
                    .ok_or_else(|| "bad code".to_owned());
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err("a code longer than 15 bits".to_owned())
    }
}

const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DISTANCE_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DISTANCE_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
/// The order in which a dynamic block gives the code lengths of its code-length code.
const CODE_LENGTH_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// The first `limit` bytes (or fewer, if the data is shorter) a raw deflate stream inflates to.
pub fn inflate_prefix(data: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    let mut bits = Bits {
        data,
        at: 0,
        bit: 0,
    };
    let mut out: Vec<u8> = Vec::with_capacity(limit);
    loop {
        let last = bits.bit()? == 1;
        match bits.bits(2)? {
            0 => {
                bits.align();
                let length = u16_at(data, bits.at).ok_or(TRUNCATED)?;
                let check = u16_at(data, bits.at + 2).ok_or(TRUNCATED)?;
                if length != !check {
                    return Err("a stored block's length does not match its complement".to_owned());
                }
                let start = bits.at + 4;
                let block = data
                    .get(start..start + usize::from(length))
                    .ok_or(TRUNCATED)?;
                out.extend_from_slice(block);
                bits.at = start + usize::from(length);
            }
            1 => {
                let mut lengths = [0u8; 288];
                lengths[..144].fill(8);
                lengths[144..256].fill(9);
                lengths[256..280].fill(7);
                lengths[280..].fill(8);
                let literals = Huffman::new(&lengths)?;
                let distances = Huffman::new(&[5u8; 30])?;
                codes(&mut bits, &literals, &distances, &mut out, limit)?;
            }
            2 => {
                let (literals, distances) = dynamic_codes(&mut bits)?;
                codes(&mut bits, &literals, &distances, &mut out, limit)?;
            }
            _ => return Err("a block of the reserved type 3".to_owned()),
        }
        if last || out.len() >= limit {
            out.truncate(limit);
            return Ok(out);
        }
    }
}

fn dynamic_codes(bits: &mut Bits<'_>) -> Result<(Huffman, Huffman), String> {
    let literal_count = bits.bits(5)? as usize + 257;
    let distance_count = bits.bits(5)? as usize + 1;
    let code_length_count = bits.bits(4)? as usize + 4;
    let mut code_lengths = [0u8; 19];
    for &slot in &CODE_LENGTH_ORDER[..code_length_count] {
        code_lengths[slot] = bits.bits(3)? as u8;
    }
    let code_length_code = Huffman::new(&code_lengths)?;
    let mut lengths = Vec::with_capacity(literal_count + distance_count);
    while lengths.len() < literal_count + distance_count {
        let symbol = code_length_code.decode(bits)?;
        let (value, repeat) = match symbol {
            0..=15 => (symbol as u8, 1),
            16 => (
                *lengths.last().ok_or("a repeat with nothing before it")?,
                3 + bits.bits(2)?,
            ),
            17 => (0, 3 + bits.bits(3)?),
            18 => (0, 11 + bits.bits(7)?),
            _ => return Err("a bad code length symbol".to_owned()),
        };
        lengths.extend(std::iter::repeat_n(value, repeat as usize));
    }
    if lengths.len() > literal_count + distance_count {
        return Err("code lengths overrun their count".to_owned());
    }
    let (literal_lengths, distance_lengths) = lengths.split_at(literal_count);
    Ok((
        Huffman::new(literal_lengths)?,
        Huffman::new(distance_lengths)?,
    ))
}

fn codes(
    bits: &mut Bits<'_>,
    literals: &Huffman,
    distances: &Huffman,
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<(), String> {
    while out.len() < limit {
        let symbol = literals.decode(bits)?;
        match symbol {
            0..=255 => out.push(symbol as u8),
            256 => return Ok(()),
            _ => {
                let index = usize::from(symbol - 257);
                let base = *LENGTH_BASE.get(index).ok_or("a bad length symbol")?;
                let length =
                    usize::from(base) + bits.bits(u32::from(LENGTH_EXTRA[index]))? as usize;
                let index = usize::from(distances.decode(bits)?);
                let base = *DISTANCE_BASE.get(index).ok_or("a bad distance symbol")?;
                let distance =
                    usize::from(base) + bits.bits(u32::from(DISTANCE_EXTRA[index]))? as usize;
                let from = out
                    .len()
                    .checked_sub(distance)
                    .ok_or("a distance before the start of the data")?;
                for i in 0..length {
                    let byte = out[from + i];
                    out.push(byte);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    /// An ELF header for `machine`, then `filler` bytes of text varied enough for `zip` to
    /// build Huffman codes of its own for them.
    fn executable(machine: u16, filler: usize) -> Vec<u8> {
        let mut bytes = vec![0u8; 64];
        bytes[..4].copy_from_slice(b"\x7fELF");
        bytes[4] = 2;
        bytes[5] = 1;
        bytes[6] = 1;
        bytes[16..18].copy_from_slice(&3u16.to_le_bytes());
        bytes[18..20].copy_from_slice(&machine.to_le_bytes());
        let mut state = 0x2545_f491_u32;
        while bytes.len() < 64 + filler {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let word = ["load", "model", "health", "stack", "zone", "quota"][state as usize % 6];
            bytes.extend_from_slice(format!("{word}{} ", state % 97).as_bytes());
        }
        bytes
    }

    /// What `zip` (as scripts/package-functions runs it) makes of `entry` holding `contents`
    /// with `mode`; `store` keeps it uncompressed.
    fn zipped(entry: &str, contents: &[u8], mode: u32, store: bool) -> Vec<u8> {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join(entry);
        std::fs::write(&file, contents).expect("write");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).expect("chmod");
        let mut command = std::process::Command::new("zip");
        command.args(["-q", "-X"]);
        if store {
            command.arg("-0");
        }
        let status = command
            .arg(Path::new("out.zip"))
            .arg(entry)
            .current_dir(dir.path())
            .status()
            .expect("zip runs (scripts/package-functions needs it too)");
        assert!(status.success());
        std::fs::read(dir.path().join("out.zip")).expect("read")
    }

    #[test]
    fn a_package_as_package_functions_makes_it_passes_stored_or_deflated() {
        for filler in [0, 300, 60_000] {
            for store in [true, false] {
                let zip = zipped("bootstrap", &executable(EM_X86_64, filler), 0o755, store);
                assert_eq!(
                    check(&zip, Architecture::X86_64),
                    [],
                    "filler {filler}, stored {store}"
                );
            }
        }
    }

    #[test]
    fn inflating_gives_back_the_bytes_zip_deflated() {
        for filler in [10, 300, 60_000] {
            let contents = executable(EM_X86_64, filler);
            let zip = zipped("bootstrap", &contents, 0o755, false);
            let entry = find_entry(&zip).expect("bootstrap");
            assert_eq!(entry.method, 8, "deflated");
            let start = entry.local_offset
                + 30
                + usize::from(u16_at(&zip, entry.local_offset + 26).expect("name"))
                + usize::from(u16_at(&zip, entry.local_offset + 28).expect("extra"));
            let data = &zip[start..start + entry.compressed_size];
            assert_eq!(
                inflate_prefix(data, contents.len() + 10).expect("inflates"),
                contents,
                "filler {filler}"
            );
        }
    }

    #[test]
    fn every_problem_of_a_package_is_found() {
        assert_eq!(
            check(b"# README\nnot a zip at all\n", Architecture::X86_64),
            [PackageProblem::NotAZip]
        );
        let renamed = zipped("lisa-lifecycle", &executable(EM_X86_64, 100), 0o755, false);
        assert!(matches!(
            check(&renamed, Architecture::X86_64).as_slice(),
            [PackageProblem::NoBootstrap { found }] if found.contains("lisa-lifecycle")
        ));
        let arm_and_private = zipped("bootstrap", &executable(EM_AARCH64, 100), 0o644, false);
        assert_eq!(
            check(&arm_and_private, Architecture::X86_64),
            [
                PackageProblem::NotExecutable { mode: 0o644 },
                PackageProblem::WrongArchitecture {
                    found: "arm64 (aarch64)".into(),
                    expected: "x86_64"
                }
            ]
        );
        assert_eq!(check(&arm_and_private[..], Architecture::Arm64).len(), 1);
        let script = zipped("bootstrap", b"#!/bin/sh\nexec ./server\n", 0o755, false);
        assert_eq!(
            check(&script, Architecture::X86_64),
            [PackageProblem::Script]
        );
        let mut damaged = zipped("bootstrap", &executable(EM_X86_64, 300), 0o755, true);
        let cut = damaged.len() / 2;
        damaged.truncate(cut);
        assert_eq!(
            check(&damaged, Architecture::X86_64),
            [PackageProblem::NotAZip]
        );
    }

    #[test]
    fn the_packages_scripts_package_functions_wrote_pass_when_given() {
        // scripts/test.sh builds them and names them in these variables.
        for variable in ["LISA_REGISTRAR_ZIP", "LISA_LIFECYCLE_ZIP"] {
            let Ok(path) = std::env::var(variable) else {
                continue;
            };
            let zip = std::fs::read(&path).unwrap_or_else(|e| panic!("{variable}={path}: {e}"));
            assert_eq!(check(&zip, Architecture::X86_64), [], "{path}");
        }
    }
}
