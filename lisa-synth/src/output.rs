//! Where every command's output goes, and how a command ends.
//!
//! Standard output carries only the product (a template, a schema, stack names): commands write
//! it with [`product`]. Everything else (problems, notes, summaries) goes to standard error with
//! [`Diagnostics`], which never fails and is silenced by `-q` except for errors. A command
//! returns a [`Failure`] when it cannot succeed, and [`Failure::exit`] reports it and picks the
//! exit code, so that every command ends the same way:
//!
//! - a reader that closed the pipe early (`| head -1`) ends the command quietly, with the exit
//!   status of a process stopped by SIGPIPE (141), as other Unix tools do;
//! - any other write error (a full disk, a closed standard output) is one line on standard error
//!   and exit 2;
//! - nothing panics on output.

use std::fmt;
use std::io::{self, Write};
use std::process::ExitCode;

/// The program's name, as error lines give it (`NAME: message`): the file name the process was
/// started as, as Unix tools do.
pub fn program_name() -> String {
    std::env::args_os()
        .next()
        .as_deref()
        .map(std::path::Path::new)
        .and_then(std::path::Path::file_name)
        .map_or_else(
            || "lisa".to_owned(),
            |name| name.to_string_lossy().into_owned(),
        )
}

/// Exit status of invalid input: every problem has been printed.
pub const EXIT_INVALID: u8 = 1;
/// Exit status of a usage or I/O error.
pub const EXIT_USAGE: u8 = 2;
/// Exit status when the reader of standard output went away (128 + SIGPIPE).
pub const EXIT_BROKEN_PIPE: u8 = 141;

/// The exit codes, for `--help`.
pub const EXIT_CODES_HELP: &str = "Exit codes: 0 success; 1 invalid input (every problem is \
printed on standard error); 2 usage or I/O error (a bad flag or region, a missing or unreadable \
file, a failed write); 141 standard output closed by its reader (as `| head` does), which ends \
the command quietly.\n\nStandard output carries only the product (a template, a schema, stack \
names); problems, notes and summaries go to standard error.";

/// Why a command did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Invalid input; the problems have been printed already.
    #[error("invalid input")]
    Invalid,
    /// A usage error: a bad flag value, a missing input.
    #[error("{0}")]
    Usage(String),
    /// An I/O error other than a closed pipe.
    #[error("{0}")]
    Io(String),
    /// An input could not be read; its problem has been printed already.
    #[error("an input could not be read")]
    Unreadable,
    /// The reader of standard output went away.
    #[error("standard output closed")]
    BrokenPipe,
}

impl Failure {
    /// Prints the failure (one line, unless already reported) and returns its exit code.
    pub fn exit(self) -> ExitCode {
        ExitCode::from(self.report())
    }

    /// Reports the failure as [`Failure::exit`] does and ends the process with its exit code,
    /// for commands that end where they write.
    pub fn exit_now(self) -> ! {
        std::process::exit(i32::from(self.report()))
    }

    fn report(self) -> u8 {
        match self {
            Failure::Invalid => EXIT_INVALID,
            Failure::Unreadable => EXIT_USAGE,
            Failure::Usage(message) | Failure::Io(message) => {
                Diagnostics::error(format_args!("{message}"));
                EXIT_USAGE
            }
            Failure::BrokenPipe => EXIT_BROKEN_PIPE,
        }
    }
}

/// How problems are printed on standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorFormat {
    /// `FILE: PATH: message`, one line per problem, then a summary.
    Text,
    /// One JSON array of `{"file", "path", "message"}` objects (plus `line` and `column` for
    /// malformed JSON), for tools: it is all standard error holds (no notes, no summary).
    Json,
}

/// The result of a command.
pub type CommandResult = Result<(), Failure>;

/// Writes the product to standard output and flushes it. A closed pipe is
/// [`Failure::BrokenPipe`]; any other error is [`Failure::Io`].
pub fn product(bytes: &[u8]) -> CommandResult {
    if stdout_was_closed() {
        return Err(Failure::Io(
            "cannot write to standard output: it is closed".into(),
        ));
    }
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|error| write_failure(&error, "standard output"))
}

/// The failure of a write to `what`.
pub fn write_failure(error: &io::Error, what: &str) -> Failure {
    if error.kind() == io::ErrorKind::BrokenPipe {
        Failure::BrokenPipe
    } else {
        Failure::Io(format!("cannot write to {what}: {error}"))
    }
}

/// Whether the command was started with standard output closed (`>&-`). Rust's runtime opens
/// `/dev/null` read-write in its place before `main`, so a write would succeed and the product be
/// lost without a word; a shell's `> /dev/null` opens it write-only, which tells the two apart.
fn stdout_was_closed() -> bool {
    let Ok(target) = std::fs::read_link("/proc/self/fd/1") else {
        return false;
    };
    if target != std::path::Path::new("/dev/null") {
        return false;
    }
    let Ok(info) = std::fs::read_to_string("/proc/self/fdinfo/1") else {
        return false;
    };
    info.lines()
        .find_map(|line| line.strip_prefix("flags:"))
        .and_then(|flags| u32::from_str_radix(flags.trim(), 8).ok())
        // O_ACCMODE is 0o3 and O_RDWR 0o2.
        .is_some_and(|flags| flags & 0o3 == 0o2)
}

/// Problems, notes and summaries, on standard error. Writing them never fails the command (a
/// closed standard error loses them, nothing more).
#[derive(Debug, Clone, Copy)]
pub struct Diagnostics {
    /// `-q`: notes and summaries are not printed; errors still are.
    pub quiet: bool,
}

impl Diagnostics {
    /// An error line, printed even with `-q`, prefixed with the program's name.
    pub fn error(message: fmt::Arguments<'_>) {
        let _ = writeln!(io::stderr().lock(), "{}: {message}", program_name());
    }

    /// Problem lines (already formatted), printed even with `-q`.
    pub fn problems(text: &str) {
        let _ = io::stderr().lock().write_all(text.as_bytes());
    }

    /// A note or summary, not printed with `-q`.
    pub fn note(self, message: fmt::Arguments<'_>) {
        if !self.quiet {
            let _ = writeln!(io::stderr().lock(), "{message}");
        }
    }
}
