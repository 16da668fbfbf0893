//! The currencies Sakhi knows, loaded from `currencies.toml` (data, not code).

use serde::Deserialize;
use std::fmt;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Grouping {
    /// Lakh and crore: 1,25,00,000.
    Indian,
    /// Thousands: 12,500,000.
    Western,
}

#[derive(Debug, Deserialize)]
pub struct CurrencyInfo {
    pub code: String,
    pub name: String,
    pub symbol: String,
    pub minor_units: u32,
    pub grouping: Grouping,
}

#[derive(Deserialize)]
struct CurrencyFile {
    currency: Vec<CurrencyInfo>,
}

static CURRENCIES: LazyLock<Vec<CurrencyInfo>> = LazyLock::new(|| {
    let file: CurrencyFile = toml::from_str(include_str!("currencies.toml"))
        // The file is compiled into the binary and parsed by a unit test, so a
        // failure here is a build defect, never something a user can cause.
        .expect("embedded currencies.toml is valid");
    file.currency
});

/// A currency from the embedded list. Cheap to copy; compares by code.
#[derive(Clone, Copy)]
pub struct Currency(&'static CurrencyInfo);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown currency {0:?}: Sakhi knows {known}", known = Currency::known_codes().join(", "))]
pub struct UnknownCurrency(pub String);

impl Currency {
    pub fn from_code(code: &str) -> Result<Currency, UnknownCurrency> {
        let wanted = code.trim();
        CURRENCIES
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(wanted))
            .map(Currency)
            .ok_or_else(|| UnknownCurrency(code.to_string()))
    }

    /// The program's home currency.
    pub fn inr() -> Currency {
        Currency::from_code("INR").expect("INR is in the embedded currency list")
    }

    pub fn known_codes() -> Vec<&'static str> {
        CURRENCIES.iter().map(|c| c.code.as_str()).collect()
    }

    pub fn code(self) -> &'static str {
        &self.0.code
    }
    pub fn name(self) -> &'static str {
        &self.0.name
    }
    pub fn symbol(self) -> &'static str {
        &self.0.symbol
    }
    pub fn minor_units(self) -> u32 {
        self.0.minor_units
    }
    pub fn grouping(self) -> Grouping {
        self.0.grouping
    }
    /// 10^minor_units: how many minor units make one major unit.
    pub fn scale(self) -> i64 {
        10_i64.pow(self.0.minor_units)
    }
}

impl Default for Currency {
    fn default() -> Self {
        Currency::inr()
    }
}

impl PartialEq for Currency {
    fn eq(&self, other: &Self) -> bool {
        self.0.code == other.0.code
    }
}
impl Eq for Currency {}

impl std::hash::Hash for Currency {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.code.hash(state)
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.0.code)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.code)
    }
}

impl std::str::FromStr for Currency {
    type Err = UnknownCurrency;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::from_code(s)
    }
}

impl serde::Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Currency::from_code(&code).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_list_parses_and_has_unique_codes() {
        let codes = Currency::known_codes();
        assert!(codes.contains(&"INR"));
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), codes.len());
    }

    #[test]
    fn inr_has_two_decimals_and_indian_grouping() {
        let inr = Currency::inr();
        assert_eq!(inr.minor_units(), 2);
        assert_eq!(inr.scale(), 100);
        assert_eq!(inr.grouping(), Grouping::Indian);
        assert_eq!(inr.symbol(), "₹");
    }

    #[test]
    fn lookup_ignores_case_and_rejects_unknown_codes() {
        assert_eq!(Currency::from_code("inr").map(|c| c.code()), Ok("INR"));
        let err = Currency::from_code("XYZ").unwrap_err();
        assert!(err.to_string().contains("unknown currency \"XYZ\""));
        assert!(err.to_string().contains("INR"));
    }
}
