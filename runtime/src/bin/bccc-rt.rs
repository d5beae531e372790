//! The prebuilt runtime executable; `bccc build` copies it and embeds the payload.

fn main() {
    std::process::exit(bccc_runtime_main());
}

fn bccc_runtime_main() -> i32 {
    eprintln!("bccc-rt: no payload");
    2
}
