//! Rebuild when the bundled sample archive changes: `include_dir!` alone does not tell Cargo
//! about files added to the folder.
fn main() {
    println!("cargo:rerun-if-changed=sample");
}
