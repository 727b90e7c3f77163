//! Content hashes used by the lock and the response cache (`sha256:<hex>`).

use sha2::{Digest, Sha256};

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// `sha256:<hex>`, the form recorded in `dockhand.lock`.
pub fn tagged(bytes: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(bytes))
}
