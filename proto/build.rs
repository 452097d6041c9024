//! Generates the Rust code of every .proto under this folder with the vendored
//! protoc (a fresh machine needs no system protoc), plus proto3-JSON serde
//! impls (pbjson) that the gateway's REST API uses as its wire format (except
//! for the shared `Date`, an ISO 8601 string whose impls are in src/lib.rs).

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-env-changed=PROTOC");
    println!("cargo:rerun-if-changed=kumppani");
    let protoc = match std::env::var_os("PROTOC") {
        Some(p) => PathBuf::from(p),
        None => protoc_bin_vendored::protoc_bin_path()?,
    };
    let include = protoc_bin_vendored::include_path()?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let descriptor_path = out.join("kumppani_descriptor.bin");
    let mut files = Vec::new();
    collect(PathBuf::from("kumppani"), &mut files)?;
    files.sort();
    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc);
    config.prost_types_path("::pbjson_types");
    config.enable_type_names();
    tonic_prost_build::configure().file_descriptor_set_path(&descriptor_path).compile_with_config(
        config,
        &files,
        &[PathBuf::from("."), include],
    )?;
    let descriptors = std::fs::read(&descriptor_path)?;
    // `kumppani.type.v1.Date` is an ISO 8601 string ("2027-02-01") in JSON: its
    // serde impls are hand-written in src/lib.rs, not generated.
    pbjson_build::Builder::new().register_descriptors(&descriptors)?.exclude([".kumppani.type.v1.Date"]).build(&[".kumppani"])?;
    Ok(())
}

fn collect(dir: PathBuf, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(path, files)?;
        } else if path.extension().is_some_and(|e| e == "proto") {
            files.push(path);
        }
    }
    Ok(())
}
