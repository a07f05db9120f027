//! In-process throughput of `x509::validate` on the demo vendor's 3-certificate
//! code-signing chain (testdata/demo/pki, RSA-3072). Prints the median of 5
//! rounds in chains per second. Run: `cargo bench -p glassbox-core --bench x509_chain`.

use std::time::Instant;

use glassbox_core::x509::{self, Purpose, ValidationOptions, ValidationTime};

fn load(name: &str) -> Vec<x509::Certificate> {
    let path = format!("{}/../testdata/demo/pki/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    x509::parse_pem_or_der_bundle(&bytes).expect("demo PEM")
}

fn main() {
    let leaf = load("codesign.pem").remove(0);
    let inter = load("intermediate.pem");
    let root = load("root.pem");
    let opts = ValidationOptions {
        time: ValidationTime::At(time::macros::datetime!(2026-06-01 00:00 UTC)),
        purpose: Purpose::CodeSigning,
        ..Default::default()
    };
    const N: u32 = 2000;
    let mut rates = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        for _ in 0..N {
            x509::validate(&leaf, &inter, &root, &opts).expect("demo chain validates");
        }
        rates.push(f64::from(N) / start.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "x509::validate (3-cert RSA-3072 code-signing chain): {:.0} chains/s (median of 5 x {N})",
        rates[2]
    );
}
