//! The prebuilt runtime executable; `bccc build` copies it and embeds the payload.

fn main() {
    std::process::exit(bccc_runtime::main_from_exe());
}
