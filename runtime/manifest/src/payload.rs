//! The payload a built tool carries in its `.bccc.payload` ELF section:
//! `b"BCCCPAY1" | u32 LE manifest length | manifest JSON | BPF ELF object`.

use crate::{MANIFEST_VERSION, Manifest};

/// Name of the non-allocated ELF section that holds the payload.
pub const SECTION: &str = ".bccc.payload";

const MAGIC: &[u8; 8] = b"BCCCPAY1";

/// Why a payload could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// The section does not start with the payload magic.
    #[error("the payload section does not start with {MAGIC:?}")]
    BadMagic,
    /// The section is shorter than its header says.
    #[error("the payload is truncated ({len} bytes)")]
    Truncated {
        /// Bytes present.
        len: usize,
    },
    /// The manifest is not valid JSON for this version's types.
    #[error("the manifest does not parse: {0}")]
    Manifest(#[from] serde_json::Error),
    /// The manifest was written by an incompatible compiler.
    #[error("the manifest has version {found}, this runtime reads version {MANIFEST_VERSION}")]
    Version {
        /// The version found.
        found: u32,
    },
}

/// Serializes a manifest and an object into payload bytes.
///
/// # Panics
/// Never: the manifest types serialize infallibly to JSON.
#[must_use]
pub fn encode(manifest: &Manifest, object: &[u8]) -> Vec<u8> {
    let json = serde_json::to_vec(manifest).expect("manifest types always serialize");
    let mut out = Vec::with_capacity(MAGIC.len() + 4 + json.len() + object.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(object);
    out
}

/// Splits payload bytes into the manifest and the object bytes (borrowed from `bytes`).
pub fn decode(bytes: &[u8]) -> Result<(Manifest, &[u8]), PayloadError> {
    #[derive(serde::Deserialize)]
    struct Version {
        version: u32,
    }
    let rest = bytes
        .strip_prefix(MAGIC.as_slice())
        .ok_or(PayloadError::BadMagic)?;
    let truncated = || PayloadError::Truncated { len: bytes.len() };
    let len_bytes = rest.get(..4).ok_or_else(truncated)?;
    let len = u32::from_le_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]) as usize;
    let json = rest.get(4..4 + len).ok_or_else(truncated)?;
    let found = serde_json::from_slice::<Version>(json)?.version;
    if found != MANIFEST_VERSION {
        return Err(PayloadError::Version { found });
    }
    let manifest = serde_json::from_slice(json)?;
    Ok((manifest, &rest[4 + len..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ToolInfo;

    fn manifest() -> Manifest {
        Manifest {
            version: MANIFEST_VERSION,
            tool: ToolInfo {
                name: "t".into(),
                about: String::new(),
                source: "t.c".into(),
            },
            programs: vec![],
            maps: vec![],
            params: vec![],
            trace_printk: false,
            tracepoint_records: Vec::new(),
        }
    }

    #[test]
    fn round_trip() {
        let bytes = encode(&manifest(), b"\x7fELF...");
        let (m, obj) = decode(&bytes).unwrap();
        assert_eq!(m, manifest());
        assert_eq!(obj, b"\x7fELF...");
    }

    #[test]
    fn rejects_garbage_and_truncation_and_other_versions() {
        assert!(matches!(decode(b"nope"), Err(PayloadError::BadMagic)));
        let bytes = encode(&manifest(), b"");
        assert!(matches!(
            decode(&bytes[..bytes.len() - 2]),
            Err(PayloadError::Truncated { .. })
        ));
        let mut m = manifest();
        m.version = 99;
        assert!(matches!(
            decode(&encode(&m, b"")),
            Err(PayloadError::Version { found: 99 })
        ));
    }
}
