#![forbid(unsafe_code)]
//! `cargo run -p xtask -- demo [--out DIR] [--rebuild-binaries]`

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: cargo run -p xtask -- demo [--out DIR] [--rebuild-binaries]

demo    regenerate the ExampleAV demo vendor (default: testdata/demo)
        --out DIR            write into DIR instead (keys and binaries found there are reused)
        --rebuild-binaries   recompile the engine binaries with `cc` instead of reusing the committed ones";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() != Some("demo") {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let mut opts = xtask::demo::Options {
        out: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/demo"),
        rebuild_binaries: false,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => match args.next() {
                Some(dir) => opts.out = PathBuf::from(dir),
                None => {
                    eprintln!("error: --out needs a directory\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--rebuild-binaries" => opts.rebuild_binaries = true,
            _ => {
                eprintln!("error: unknown argument {arg:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    match xtask::demo::generate(&opts) {
        Ok(summary) => {
            for line in summary.notes {
                println!("{line}");
            }
            println!("demo vendor written to {}", opts.out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: demo: {e}");
            ExitCode::FAILURE
        }
    }
}
