//! The date formats AWS uses outside JSON timestamps, all in UTC: ISO 8601 for STS and
//! EventBridge (`2026-12-02T01:02:03Z`), trigger records' `eventTime`
//! (`2016-02-09T00:08:11.743+0000`), and the free-form dates of pull-request events
//! (`Wed Nov 06 19:10:58 UTC 2019`; codecommit-facts.md §6).

/// A moment broken into its UTC calendar parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub millis: u32,
    /// 0 = Sunday.
    pub weekday: u32,
}

/// Epoch seconds (fractional) → calendar parts (Howard Hinnant's days-to-civil).
pub fn civil(epoch: f64) -> Civil {
    let total_millis = (epoch * 1000.0).round() as i64;
    let secs = total_millis.div_euclid(1000);
    let millis = total_millis.rem_euclid(1000) as u32;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: (rem / 3600) as u32,
        minute: (rem % 3600 / 60) as u32,
        second: (rem % 60) as u32,
        millis,
        weekday: (days + 4).rem_euclid(7) as u32,
    }
}

/// `2026-12-02T01:02:03Z`
pub fn iso8601_seconds(epoch: f64) -> String {
    let c = civil(epoch.floor());
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// `2016-02-09T00:08:11.743+0000`
pub fn iso8601_millis_offset(epoch: f64) -> String {
    let c = civil(epoch);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+0000",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.millis
    )
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Wed Nov 06 19:10:58 UTC 2019`
pub fn java_date(epoch: f64) -> String {
    let c = civil(epoch.floor());
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
        WEEKDAYS[c.weekday as usize % 7],
        MONTHS[(c.month as usize + 11) % 12],
        c.day,
        c.hour,
        c.minute,
        c.second,
        c.year
    )
}

/// SigV4's basic ISO 8601 form, `20261202T010203Z`.
pub fn amz_date(epoch: i64) -> String {
    let c = civil(epoch as f64);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// Epoch seconds of `20261202T010203` (the `Z` optional, as git passwords leave it out).
pub fn parse_amz_date(s: &str) -> Option<i64> {
    let s = s.strip_suffix('Z').unwrap_or(s);
    let b = s.as_bytes();
    if b.len() != 15 || b[8] != b'T' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hour, minute, second) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    // Howard Hinnant's days-from-civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_dates_round_trip() {
        assert_eq!(amz_date(0), "19700101T000000Z");
        let t = parse_amz_date("20261202T010203Z").unwrap();
        assert_eq!(amz_date(t), "20261202T010203Z");
        assert_eq!(parse_amz_date("20240229T235959"), Some(1_709_251_199));
        assert_eq!(parse_amz_date("2024-02-29T23:59:59Z"), None);
        assert_eq!(parse_amz_date("20241301T000000Z"), None);
    }

    #[test]
    fn known_moments() {
        // 2016-02-09T00:08:11.743Z, a Tuesday.
        assert_eq!(
            iso8601_millis_offset(1454976491.743),
            "2016-02-09T00:08:11.743+0000"
        );
        assert_eq!(iso8601_seconds(1454976491.743), "2016-02-09T00:08:11Z");
        // 2019-11-06T19:10:58Z, a Wednesday.
        assert_eq!(java_date(1573067458.0), "Wed Nov 06 19:10:58 UTC 2019");
        assert_eq!(iso8601_seconds(0.0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601_seconds(951782400.0), "2000-02-29T00:00:00Z");
    }
}
