//! Little-endian field access on byte slices. Callers pass offsets inside
//! buffers whose size they have checked (fixed-size on-disk structures).

/// Read a little-endian `u16` at `off`.
#[inline]
pub(crate) fn get16(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}

/// Read a little-endian `u32` at `off`.
#[inline]
pub(crate) fn get32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

/// Write a little-endian `u16` at `off`.
#[inline]
pub(crate) fn put16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_le_bytes());
}

/// Write a little-endian `u32` at `off`.
#[inline]
pub(crate) fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut b = [0u8; 8];
        put16(&mut b, 1, 0xBEEF);
        put32(&mut b, 3, 0x1234_5678);
        assert_eq!(b, [0, 0xEF, 0xBE, 0x78, 0x56, 0x34, 0x12, 0]);
        assert_eq!(get16(&b, 1), 0xBEEF);
        assert_eq!(get32(&b, 3), 0x1234_5678);
    }
}
