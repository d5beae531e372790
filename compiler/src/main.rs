//! The `bccc` command line: parses arguments, runs the driver, renders diagnostics.

use std::path::PathBuf;
use std::process::ExitCode;

use bccc::driver::{self, BuildError, BuildOptions, Define, Emit};
use clap::{Parser, Subcommand};

/// Ahead-of-time compiler for BCC-dialect BPF C.
#[derive(Debug, Parser)]
#[command(name = "bccc", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compile a BCC-dialect C file into a static tool (or an object, C, manifest or crate).
    Build {
        /// The BCC-dialect C file.
        input: PathBuf,
        /// Output path (default: `./<stem>` for a binary); `-` writes to standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// What to write.
        #[arg(long, value_enum, default_value_t = Emit::Bin)]
        emit: Emit,
        /// Define a macro for the BPF C, as with cc: `-D NAME` or `-D NAME=VALUE`.
        #[arg(short = 'D', value_name = "NAME[=VALUE]")]
        define: Vec<String>,
        /// Attach a function: `KIND:TARGET=FN` (see README), repeatable.
        #[arg(long, value_name = "SPEC")]
        attach: Vec<String>,
        /// BTF to generate vmlinux.h from (default: /sys/kernel/btf/vmlinux).
        #[arg(long, value_name = "FILE")]
        btf: Option<PathBuf>,
        /// Module BTF whose types the program uses (split BTF on the --btf one:
        /// /sys/kernel/btf/<module> or the module's .ko), repeatable.
        #[arg(long = "btf-module", value_name = "FILE")]
        btf_module: Vec<PathBuf>,
        /// Use this runtime executable instead of the one built into bccc.
        #[arg(long, value_name = "PATH")]
        runtime: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Command::Build {
        input,
        output,
        emit,
        define,
        attach,
        btf,
        btf_module,
        runtime,
    } = cli.command;
    let defines = define
        .into_iter()
        .map(|d| match d.split_once('=') {
            Some((name, value)) => Define {
                name: name.to_owned(),
                value: Some(value.to_owned()),
            },
            None => Define {
                name: d,
                value: None,
            },
        })
        .collect();
    let opts = BuildOptions {
        input,
        output,
        emit,
        defines,
        attach,
        btf,
        btf_modules: btf_module,
        runtime,
        ..BuildOptions::default()
    };
    match driver::build(&opts) {
        Ok((_, warnings)) => {
            eprint!("{}", render(&warnings));
            ExitCode::SUCCESS
        }
        Err(BuildError::Diagnostics(diags)) => {
            eprint!("{}", render(&diags));
            ExitCode::FAILURE
        }
    }
}

/// Renders diagnostics with colour only when stderr is a terminal and `NO_COLOR` is unset.
fn render(diags: &bccc::diagnostics::Diagnostics) -> String {
    use std::io::IsTerminal;
    diags.render(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
}
