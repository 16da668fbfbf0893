//! The invented names and amounts of `fixtures/demo.toml`, and the roster of
//! groups and members drawn from them.

use super::rng::SplitMix64;
use anyhow::{bail, Context};
use serde::Deserialize;
use std::collections::HashSet;

/// Compiled in, so `sakhi` can load the demo from any folder.
const FIXTURE: &str = include_str!("../../fixtures/demo.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    pub groups: Vec<GroupName>,
    pub names: Vec<String>,
    pub purposes: Vec<String>,
    /// Invented localities for the demo clients' sealed identities.
    pub localities: Vec<String>,
    pub expenses: Vec<ExpenseKind>,
    pub bank: BankTerms,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupName {
    pub name: String,
    pub code: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpenseKind {
    pub description: String,
    pub min_rupees: i64,
    pub max_rupees: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankTerms {
    pub lender: String,
    pub reference_prefix: String,
    pub rupees_per_member: i64,
    pub rate_percent_a_year: u32,
    pub monthly_installments: u32,
}

impl Fixture {
    /// The embedded fixture, checked.
    pub fn embedded() -> anyhow::Result<Fixture> {
        let fixture: Fixture =
            toml::from_str(FIXTURE).context("fixtures/demo.toml is not valid")?;
        fixture.check()?;
        Ok(fixture)
    }

    fn check(&self) -> anyhow::Result<()> {
        if self.groups.is_empty()
            || self.names.is_empty()
            || self.purposes.is_empty()
            || self.localities.is_empty()
        {
            bail!("fixtures/demo.toml needs groups, names, purposes and localities");
        }
        if self.localities.iter().any(|l| l.trim().is_empty()) {
            bail!("fixtures/demo.toml: a locality is empty");
        }
        let mut codes = HashSet::new();
        for g in &self.groups {
            // A digit at the end would collide with the "LOT2" codes made
            // when the list repeats.
            let ok =
                (2..=5).contains(&g.code.len()) && g.code.bytes().all(|b| b.is_ascii_uppercase());
            if !ok || !codes.insert(g.code.as_str()) {
                bail!(
                    "fixtures/demo.toml: group code {:?} must be 2 to 5 capital letters, \
                     used once",
                    g.code
                );
            }
        }
        let mut names = HashSet::new();
        for n in &self.names {
            if n.trim().is_empty() || n.contains(' ') || !names.insert(n.as_str()) {
                bail!("fixtures/demo.toml: name {n:?} must be one word, listed once");
            }
        }
        for e in &self.expenses {
            if e.description.trim().is_empty() || e.min_rupees <= 0 || e.max_rupees < e.min_rupees {
                bail!(
                    "fixtures/demo.toml: expense {:?} is not valid",
                    e.description
                );
            }
        }
        if self.bank.rupees_per_member <= 0 || self.bank.monthly_installments == 0 {
            bail!("fixtures/demo.toml: the bank terms need an amount and installments");
        }
        Ok(())
    }
}

/// One group as it will be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterGroup {
    pub name: String,
    pub code: String,
    /// (member code, display name)
    pub members: Vec<(String, String)>,
}

/// Groups and members for the options: sizes drawn in `sizes`, names drawn
/// from the fixture without repeats inside a group, and member codes made
/// from the group code, so they differ across the whole program.
pub fn roster(
    fixture: &Fixture,
    groups: u32,
    sizes: (u32, u32),
    rng: &mut SplitMix64,
) -> Vec<RosterGroup> {
    let mut deck: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for g in 0..groups as usize {
        let base = &fixture.groups[g % fixture.groups.len()];
        let round = g / fixture.groups.len();
        let (name, code) = if round == 0 {
            (base.name.clone(), base.code.clone())
        } else {
            (
                format!("{} {}", base.name, round + 1),
                format!("{}{}", base.code, round + 1),
            )
        };
        let size = rng.range(i64::from(sizes.0), i64::from(sizes.1)) as usize;
        let mut taken: Vec<&str> = Vec::new();
        // The caller keeps `size` within the pool, so a fresh deck always
        // has a name this group does not use yet and the loop ends.
        while taken.len() < size {
            let Some(next) = deck.pop() else {
                deck = fixture.names.iter().map(String::as_str).collect();
                rng.shuffle(&mut deck);
                continue;
            };
            if !taken.contains(&next) {
                taken.push(next);
            }
        }
        let members = taken
            .iter()
            .enumerate()
            .map(|(i, n)| (format!("{code}-{:02}", i + 1), (*n).to_string()))
            .collect();
        out.push(RosterGroup {
            name,
            code,
            members,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_fixture_is_valid() {
        let f = Fixture::embedded().unwrap();
        assert!(f.groups.len() >= 4);
        assert!(f.names.len() >= 30);
        assert!(f
            .groups
            .iter()
            .any(|g| g.name == "Lotus SHG" && g.code == "LOT"));
    }

    #[test]
    fn names_are_given_names_only() {
        // No surnames or honorifics that would make a name look like a real
        // woman's full name (Chanu and Devi are Meitei women's surnames).
        let f = Fixture::embedded().unwrap();
        for n in &f.names {
            assert!(!n.contains(' '), "{n}");
            for word in ["Chanu", "Devi", "Ongbi", "Leimarel"] {
                assert!(!n.contains(word), "{n}");
            }
        }
    }

    #[test]
    fn member_codes_are_unique_across_the_program_and_names_within_a_group() {
        let f = Fixture::embedded().unwrap();
        let mut rng = SplitMix64::new(7);
        // More groups than the fixture lists, so names and group codes repeat.
        let groups = roster(&f, 20, (12, 20), &mut rng);
        assert_eq!(groups.len(), 20);
        let mut codes = HashSet::new();
        let mut group_names = HashSet::new();
        for g in &groups {
            assert!(group_names.insert(g.name.clone()), "{}", g.name);
            assert!((12..=20).contains(&g.members.len()));
            let mut names = HashSet::new();
            for (code, name) in &g.members {
                assert!(
                    codes.insert(code.to_ascii_uppercase()),
                    "{code} twice in the program"
                );
                assert!(names.insert(name), "{name} twice in {}", g.name);
                assert!(crate::groups::NewMember::new(code, name, chrono::NaiveDate::MIN).is_ok());
            }
        }
        assert_eq!(groups[8].name, "Lotus SHG 2");
        assert_eq!(groups[8].members[0].0, "LOT2-01");
    }

    #[test]
    fn the_first_groups_use_different_names_while_the_list_lasts() {
        let f = Fixture::embedded().unwrap();
        let groups = roster(&f, 2, (15, 15), &mut SplitMix64::new(3));
        let all: HashSet<&String> = groups
            .iter()
            .flat_map(|g| g.members.iter().map(|m| &m.1))
            .collect();
        assert_eq!(all.len(), 30);
    }

    #[test]
    fn the_roster_is_the_same_for_the_same_seed() {
        let f = Fixture::embedded().unwrap();
        let a = roster(&f, 4, (12, 15), &mut SplitMix64::new(7));
        let b = roster(&f, 4, (12, 15), &mut SplitMix64::new(7));
        let c = roster(&f, 4, (12, 15), &mut SplitMix64::new(8));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
