//! Calendar dates to Unix time (seconds since 1970-01-01 00:00:00 UTC),
//! for file systems that store broken-down dates (FAT).

/// Days from 1970-01-01 to `year`-`month`-`day` (month and day from 1), in
/// the proleptic Gregorian calendar (H. Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds since 1970 of a UTC date and time (month and day from 1).
pub fn unix_seconds(year: i64, month: u32, day: u32, hour: u32, min: u32, sec: u32) -> i64 {
    days_from_civil(year, month, day) * 86_400 + (hour * 3600 + min * 60 + sec) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1970, 1, 2), 1);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        // `date -u -d 2024-02-29T12:34:56 +%s`
        assert_eq!(unix_seconds(2024, 2, 29, 12, 34, 56), 1_709_210_096);
        // The FAT epoch, and the last date FAT can hold.
        assert_eq!(unix_seconds(1980, 1, 1, 0, 0, 0), 315_532_800);
        assert_eq!(unix_seconds(2107, 12, 31, 23, 59, 58), 4_354_819_198);
    }

    #[test]
    fn consecutive_days_are_86400_apart() {
        let mut prev = unix_seconds(1999, 12, 31, 0, 0, 0);
        for (y, m, d) in [(2000, 1, 1), (2000, 1, 2)] {
            let t = unix_seconds(y, m, d, 0, 0, 0);
            assert_eq!(t - prev, 86_400);
            prev = t;
        }
    }
}
