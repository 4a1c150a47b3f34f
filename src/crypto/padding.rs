//! Size buckets (`docs/protocol.md` §4.2): every plaintext is padded to the smallest bucket
//! that holds it, so the relay learns only which bucket a message fell in.
//!
//! Layout: `kind u8 | length u32 | content | zero bytes up to the bucket size`.

use super::encoding::{DecodeError, Reader};

/// Chat message buckets, in bytes of padded plaintext.
pub const CHAT_BUCKETS: [usize; 4] = [256, 1024, 4096, 16384];
/// Sealed-tip buckets: tips may be longer than chat lines.
pub const TIP_BUCKETS: [usize; 5] = [1024, 4096, 16384, 65536, 262144];
/// Bytes of the padding header: kind and length.
pub const HEADER_LEN: usize = 5;

/// Pads `content` of the given kind into the first bucket that fits, or `None` if the
/// content is larger than the largest bucket allows.
pub fn pad(kind: u8, content: &[u8], buckets: &[usize]) -> Option<Vec<u8>> {
    let needed = HEADER_LEN + content.len();
    let bucket = *buckets.iter().find(|b| **b >= needed)?;
    let mut out = Vec::with_capacity(bucket);
    out.push(kind);
    out.extend_from_slice(&(content.len() as u32).to_be_bytes());
    out.extend_from_slice(content);
    out.resize(bucket, 0);
    Some(out)
}

/// Largest content that fits the largest bucket.
pub fn max_content(buckets: &[usize]) -> usize {
    buckets.last().copied().unwrap_or(HEADER_LEN) - HEADER_LEN
}

/// Strict inverse of [`pad`]: the size must be a bucket and the padding all zeros.
pub fn unpad<'a>(padded: &'a [u8], buckets: &[usize]) -> Result<(u8, &'a [u8]), DecodeError> {
    if !buckets.contains(&padded.len()) {
        return Err(DecodeError::Invalid("padded size"));
    }
    let mut r = Reader::new(padded);
    let kind = r.u8("kind")?;
    let len = r.u32("length")? as usize;
    let content = r.take(len, "content")?;
    if padded[HEADER_LEN + len..].iter().any(|b| *b != 0) {
        return Err(DecodeError::Invalid("padding"));
    }
    Ok((kind, content))
}
