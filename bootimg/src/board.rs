//! The boards the kernel supports, and their names on the command line.

use std::fmt;
use std::str::FromStr;

/// A target board, as named by `--board`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Board {
    /// QEMU's generic `virt` machine (GICv3, Cortex-A72).
    Virt,
    /// Raspberry Pi 3 Model B (`raspi3b`).
    Rpi3,
    /// Raspberry Pi 4 Model B (`raspi4b`).
    Rpi4,
}

impl Board {
    /// Every board, in the order they are listed to users.
    pub const ALL: [Board; 3] = [Board::Virt, Board::Rpi3, Board::Rpi4];

    /// The board's name as used by `--board` and in runner messages.
    pub fn name(self) -> &'static str {
        match self {
            Board::Virt => "virt",
            Board::Rpi3 => "rpi3",
            Board::Rpi4 => "rpi4",
        }
    }
}

impl fmt::Display for Board {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error for a board name that is not one of [`Board::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownBoard(pub String);

impl fmt::Display for UnknownBoard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown board `{}` (expected one of: ", self.0)?;
        for (i, board) in Board::ALL.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(board.name())?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for UnknownBoard {}

impl FromStr for Board {
    type Err = UnknownBoard;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Board::ALL
            .into_iter()
            .find(|board| board.name() == s)
            .ok_or_else(|| UnknownBoard(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for board in Board::ALL {
            assert_eq!(board.name().parse::<Board>(), Ok(board));
        }
    }

    #[test]
    fn unknown_name_lists_the_choices() {
        let err = "rpi5".parse::<Board>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown board `rpi5` (expected one of: virt, rpi3, rpi4)"
        );
    }
}
