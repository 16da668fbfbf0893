//! Money as integer minor units (paise) plus a currency.
//!
//! `Decimal` appears only at the edges: converting a computed interest figure
//! into money, with one explicit rounding rule.

mod currency;

pub use currency::{Currency, CurrencyInfo, Grouping, UnknownCurrency};

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use std::fmt;

/// An amount in a currency's minor unit (paise for INR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

/// Which signs a parsed amount may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    /// Greater than zero (a repayment, a deposit).
    Positive,
    /// Zero or more (a counted cash balance).
    NonNegative,
    /// Any sign (an adjustment).
    Any,
}

/// How a `Decimal` is brought to the currency's minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rounding {
    /// Banker's rounding: ties go to the even digit. The house default.
    #[default]
    HalfEven,
    /// Ties away from zero.
    HalfUp,
    /// Toward zero (truncate).
    Down,
    /// Away from zero.
    Up,
}

impl Rounding {
    fn strategy(self) -> RoundingStrategy {
        match self {
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Rounding::Down => RoundingStrategy::ToZero,
            Rounding::Up => RoundingStrategy::AwayFromZero,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("an amount is required")]
    Empty,
    #[error("{0:?} is not an amount: use digits, an optional decimal point and commas between digit groups, like 1,250.50")]
    NotANumber(String),
    #[error("{currency} amounts have at most {max} decimal places; {text:?} has more (Sakhi never rounds what you type)")]
    TooManyDecimals {
        text: String,
        currency: Currency,
        max: u32,
    },
    #[error("the amount must not be negative")]
    Negative,
    #[error("the amount must be greater than zero")]
    NotPositive,
    #[error("the amount is too large")]
    Overflow,
    #[error("cannot combine {0} and {1} amounts")]
    CurrencyMismatch(Currency, Currency),
}

impl Money {
    pub fn from_minor(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    pub fn zero(currency: Currency) -> Money {
        Money { minor: 0, currency }
    }

    /// Whole major units (rupees), checked for overflow.
    pub fn from_major(major: i64, currency: Currency) -> Result<Money, MoneyError> {
        major
            .checked_mul(currency.scale())
            .map(|minor| Money { minor, currency })
            .ok_or(MoneyError::Overflow)
    }

    pub fn minor(self) -> i64 {
        self.minor
    }
    pub fn currency(self) -> Currency {
        self.currency
    }
    pub fn is_zero(self) -> bool {
        self.minor == 0
    }
    pub fn is_negative(self) -> bool {
        self.minor < 0
    }

    /// Parses what a person types: `1250`, `1250.5`, `1,250.50`, `₹1,25,000`.
    /// Commas may separate digit groups in either Indian or Western style; they
    /// carry no meaning beyond readability.
    pub fn parse(text: &str, currency: Currency, sign: Sign) -> Result<Money, MoneyError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (negative, unsigned) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest.trim_start()),
            None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
        };
        let unsigned = unsigned
            .strip_prefix(currency.symbol())
            .unwrap_or(unsigned)
            .trim_start();
        let not_a_number = || MoneyError::NotANumber(text.to_string());
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (unsigned, None),
        };
        let whole_digits = strip_group_commas(whole).ok_or_else(not_a_number)?;
        let fraction = fraction.unwrap_or("");
        if !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err(not_a_number());
        }
        if whole_digits.is_empty() && fraction.is_empty() {
            return Err(not_a_number());
        }
        let max = currency.minor_units();
        if fraction.len() > max as usize {
            return Err(MoneyError::TooManyDecimals {
                text: text.to_string(),
                currency,
                max,
            });
        }
        // i128 so that i64::MIN, whose magnitude i64 cannot hold, still parses.
        let mut magnitude: i128 = 0;
        let padded = fraction.chars().chain(std::iter::repeat('0'));
        let digits = whole_digits
            .chars()
            .chain(padded.take(max as usize))
            .map(|c| i128::from(c as u8 - b'0'));
        for digit in digits {
            magnitude = magnitude
                .checked_mul(10)
                .and_then(|m| m.checked_add(digit))
                .filter(|m| *m <= i128::from(i64::MAX) + 1)
                .ok_or(MoneyError::Overflow)?;
        }
        let signed = if negative { -magnitude } else { magnitude };
        let minor = i64::try_from(signed).map_err(|_| MoneyError::Overflow)?;
        let money = Money { minor, currency };
        money.check_sign(sign)?;
        Ok(money)
    }

    pub fn check_sign(self, sign: Sign) -> Result<(), MoneyError> {
        match sign {
            Sign::Positive if self.minor <= 0 => Err(if self.minor < 0 {
                MoneyError::Negative
            } else {
                MoneyError::NotPositive
            }),
            Sign::NonNegative if self.minor < 0 => Err(MoneyError::Negative),
            _ => Ok(()),
        }
    }

    /// The exact value in major units (5000.00 for 500000 paise).
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.minor, self.currency.minor_units())
    }

    /// Brings a computed value to the minor unit with the given rule.
    pub fn from_decimal(
        value: Decimal,
        currency: Currency,
        rounding: Rounding,
    ) -> Result<Money, MoneyError> {
        let rounded = value.round_dp_with_strategy(currency.minor_units(), rounding.strategy());
        let scaled = rounded
            .checked_mul(Decimal::from(currency.scale()))
            .ok_or(MoneyError::Overflow)?;
        let minor = i64::try_from(scaled.trunc()).map_err(|_| MoneyError::Overflow)?;
        Ok(Money { minor, currency })
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.minor
            .checked_add(other.minor)
            .map(|minor| Money { minor, ..self })
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.minor
            .checked_sub(other.minor)
            .map(|minor| Money { minor, ..self })
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        self.minor
            .checked_neg()
            .map(|minor| Money { minor, ..self })
            .ok_or(MoneyError::Overflow)
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }

    /// `125000.00`: no symbol, no grouping; what exports and JSON carry.
    pub fn plain(self) -> String {
        format_minor(self.minor, self.currency.minor_units())
    }

    /// `₹1,25,000.00`: for people, grouped the currency's way.
    pub fn grouped(self) -> String {
        let plain = format_minor(self.minor.unsigned_abs(), self.currency.minor_units());
        let (whole, fraction) = match plain.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (plain.as_str(), None),
        };
        let mut out = String::new();
        if self.minor < 0 {
            out.push('-');
        }
        out.push_str(self.currency.symbol());
        out.push_str(&group_digits(whole, self.currency.grouping()));
        if let Some(f) = fraction {
            out.push('.');
            out.push_str(f);
        }
        out
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.grouped())
    }
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Money", 2)?;
        st.serialize_field("amount", &self.plain())?;
        st.serialize_field("currency", &self.currency)?;
        st.end()
    }
}

/// Formats minor units with exactly `minor_units` decimals: 30500 → "305.00".
/// Works on digits, not powers of ten, so no `minor_units` can overflow.
pub fn format_minor<T: Into<i128>>(amount: T, minor_units: u32) -> String {
    let amount: i128 = amount.into();
    let sign = if amount < 0 { "-" } else { "" };
    let digits = amount.unsigned_abs().to_string();
    let places = minor_units as usize;
    if places == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = places.saturating_add(1));
    let (whole, fraction) = padded.split_at(padded.len() - places);
    format!("{sign}{whole}.{fraction}")
}

fn strip_group_commas(whole: &str) -> Option<String> {
    if whole.is_empty() {
        return Some(String::new());
    }
    let groups: Vec<&str> = whole.split(',').collect();
    let all_digits = groups
        .iter()
        .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()));
    if !all_digits {
        return None;
    }
    // After the first group, commas must fall on 2- or 3-digit boundaries
    // (Indian or Western), and the last group is always 3 digits.
    if groups.len() > 1 {
        let last_ok = groups.last().is_some_and(|g| g.len() == 3);
        let middle_ok = groups[1..groups.len() - 1]
            .iter()
            .all(|g| g.len() == 2 || g.len() == 3);
        if !last_ok || !middle_ok || groups[0].len() > 3 {
            return None;
        }
    }
    Some(groups.concat())
}

fn group_digits(whole: &str, grouping: Grouping) -> String {
    let len = whole.len();
    if len <= 3 {
        return whole.to_string();
    }
    let (head, last3) = whole.split_at(len - 3);
    let step = match grouping {
        Grouping::Indian => 2,
        Grouping::Western => 3,
    };
    let mut parts: Vec<&str> = Vec::new();
    let mut end = head.len();
    while end > 0 {
        let start = end.saturating_sub(step);
        parts.push(&head[start..end]);
        end = start;
    }
    parts.reverse();
    format!("{},{}", parts.join(","), last3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inr(text: &str) -> Result<Money, MoneyError> {
        Money::parse(text, Currency::inr(), Sign::Any)
    }

    #[test]
    fn whole_rupees_parse_to_paise() {
        assert_eq!(inr("1250").map(Money::minor), Ok(125_000));
    }

    #[test]
    fn one_decimal_is_tens_of_paise() {
        assert_eq!(inr("1250.5").map(Money::minor), Ok(125_050));
    }

    #[test]
    fn western_and_indian_commas_are_both_accepted() {
        assert_eq!(inr("1,250.50").map(Money::minor), Ok(125_050));
        assert_eq!(inr("1,25,000").map(Money::minor), Ok(12_500_000));
        assert_eq!(inr("125,000").map(Money::minor), Ok(12_500_000));
        assert_eq!(inr("₹1,25,000.00").map(Money::minor), Ok(12_500_000));
    }

    #[test]
    fn a_leading_point_and_surrounding_spaces_are_fine() {
        assert_eq!(inr(" .5 ").map(Money::minor), Ok(50));
        assert_eq!(inr("0.05").map(Money::minor), Ok(5));
    }

    #[test]
    fn misplaced_commas_are_not_numbers() {
        for bad in ["1,,250", ",125", "125,", "12,5", "1234,567", "1,2345"] {
            assert!(
                matches!(inr(bad), Err(MoneyError::NotANumber(_))),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn empty_text_is_refused_as_empty() {
        assert_eq!(inr("   "), Err(MoneyError::Empty));
    }

    #[test]
    fn letters_and_symbols_are_not_numbers() {
        for bad in ["abc", "12a", "1.2.3", "1e5", ".", "-", "١٢", "12 50"] {
            assert!(
                matches!(inr(bad), Err(MoneyError::NotANumber(_))),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn more_decimals_than_the_currency_has_are_refused_not_rounded() {
        let err = inr("10.005").unwrap_err();
        assert!(matches!(err, MoneyError::TooManyDecimals { max: 2, .. }));
        assert!(err.to_string().contains("at most 2 decimal places"));
        let ugx = Currency::from_code("UGX").unwrap();
        assert!(matches!(
            Money::parse("10.5", ugx, Sign::Any),
            Err(MoneyError::TooManyDecimals { max: 0, .. })
        ));
    }

    #[test]
    fn negative_amounts_are_refused_where_not_allowed() {
        let c = Currency::inr();
        assert_eq!(
            Money::parse("-5", c, Sign::NonNegative),
            Err(MoneyError::Negative)
        );
        assert_eq!(
            Money::parse("-5", c, Sign::Positive),
            Err(MoneyError::Negative)
        );
        assert_eq!(
            Money::parse("0", c, Sign::Positive),
            Err(MoneyError::NotPositive)
        );
        assert_eq!(
            Money::parse("0", c, Sign::NonNegative).map(Money::minor),
            Ok(0)
        );
        assert_eq!(Money::parse("-5", c, Sign::Any).map(Money::minor), Ok(-500));
    }

    #[test]
    fn amounts_beyond_i64_paise_overflow_cleanly() {
        // i64::MAX paise is 92,233,720,368,547,758.07 rupees.
        assert_eq!(inr("92233720368547758.07").map(Money::minor), Ok(i64::MAX));
        assert_eq!(inr("92233720368547758.08"), Err(MoneyError::Overflow));
        assert_eq!(inr("99999999999999999999999"), Err(MoneyError::Overflow));
    }

    #[test]
    fn indian_grouping_puts_commas_at_lakh_and_crore() {
        let c = Currency::inr();
        assert_eq!(Money::from_minor(12_500_000, c).grouped(), "₹1,25,000.00");
        assert_eq!(
            Money::from_minor(1_234_567_890, c).grouped(),
            "₹1,23,45,678.90"
        );
        assert_eq!(Money::from_minor(99_999, c).grouped(), "₹999.99");
        assert_eq!(Money::from_minor(5, c).grouped(), "₹0.05");
        assert_eq!(Money::from_minor(-125_050, c).grouped(), "-₹1,250.50");
    }

    #[test]
    fn western_grouping_puts_commas_every_three_digits() {
        let usd = Currency::from_code("USD").unwrap();
        assert_eq!(
            Money::from_minor(1_234_567_890, usd).grouped(),
            "$12,345,678.90"
        );
    }

    #[test]
    fn plain_format_has_no_symbol_or_grouping() {
        let c = Currency::inr();
        assert_eq!(Money::from_minor(12_500_000, c).plain(), "125000.00");
        assert_eq!(Money::from_minor(-7, c).plain(), "-0.07");
        assert_eq!(
            Money::from_minor(i64::MIN, c).plain(),
            "-92233720368547758.08"
        );
        let ugx = Currency::from_code("UGX").unwrap();
        assert_eq!(Money::from_minor(1500, ugx).plain(), "1500");
    }

    #[test]
    fn decimal_conversion_rounds_half_even_by_default() {
        let c = Currency::inr();
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let half_even = |s| Money::from_decimal(d(s), c, Rounding::default()).map(Money::minor);
        assert_eq!(half_even("10.125"), Ok(1012));
        assert_eq!(half_even("10.135"), Ok(1014));
        assert_eq!(half_even("-10.125"), Ok(-1012));
        let rounded = |s, r| Money::from_decimal(d(s), c, r).map(Money::minor);
        assert_eq!(rounded("10.125", Rounding::HalfUp), Ok(1013));
        assert_eq!(rounded("10.129", Rounding::Down), Ok(1012));
        assert_eq!(rounded("10.121", Rounding::Up), Ok(1013));
    }

    #[test]
    fn to_decimal_is_exact() {
        let m = Money::from_minor(125_050, Currency::inr());
        assert_eq!(m.to_decimal().to_string(), "1250.50");
    }

    #[test]
    fn arithmetic_refuses_mixed_currencies_and_overflow() {
        let inr = Currency::inr();
        let usd = Currency::from_code("USD").unwrap();
        let a = Money::from_minor(100, inr);
        assert_eq!(
            a.checked_add(Money::from_minor(1, usd)),
            Err(MoneyError::CurrencyMismatch(inr, usd))
        );
        assert_eq!(
            Money::from_minor(i64::MAX, inr).checked_add(a),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Money::from_minor(i64::MIN, inr).checked_neg(),
            Err(MoneyError::Overflow)
        );
        assert_eq!(a.checked_sub(a).map(Money::minor), Ok(0));
    }

    proptest::proptest! {
        #[test]
        fn plain_output_parses_back_to_the_same_amount(minor in proptest::num::i64::ANY) {
            let m = Money::from_minor(minor, Currency::inr());
            proptest::prop_assert_eq!(inr(&m.plain()), Ok(m));
        }

        #[test]
        fn grouped_output_parses_back_to_the_same_amount(minor in 0..i64::MAX) {
            let m = Money::from_minor(minor, Currency::inr());
            proptest::prop_assert_eq!(inr(&m.grouped()), Ok(m));
        }

        #[test]
        fn parsing_never_panics(text in "\\PC{0,30}") {
            let _ = inr(&text);
        }
    }
}
