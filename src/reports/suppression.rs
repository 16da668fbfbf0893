//! Small-count suppression for every aggregate that can leave the program
//! (exported or printed): a count from 1 to 10 could single a woman out, so
//! it is hidden, and so is whatever would let it be recovered by subtraction
//! from a total.
//!
//! # Rules
//!
//! * **Primary**: a count from 1 to [`SMALL_COUNT_MAX`] (10) is suppressed,
//!   cells and totals alike. Zero is shown: "nobody" singles no one out.
//! * **Complementary**: think of the table with its margins as a grid of
//!   lines, each line being the cells of a row (or column) plus its total.
//!   A line with exactly one suppressed member gives it away by subtraction,
//!   so another member of that line is suppressed too: the smallest shown
//!   non-zero one (a suppressed zero would only hide that it is zero, and it
//!   narrows the hidden cell to the whole total), else the smallest shown
//!   zero. The row of column totals and the column of row totals are lines
//!   too, with the grand total as their total. This repeats until no line has
//!   exactly one suppressed member.
//! * **Rates**: a share is suppressed when its denominator is 10 or less, or
//!   when its numerator or the rest of the denominator is a count from 1 to
//!   10 (95 % of 20 says that one woman did not). A statistic over people
//!   (a mean, median, percentile, ratio of money) is suppressed when it
//!   describes 10 or fewer of them.
//! * **Cross-tabulations of rehabilitation status by loan status** exist only
//!   at program level: see [`ProgramScope`].

use serde::Serialize;

/// The largest count that is suppressed.
pub const SMALL_COUNT_MAX: u64 = 10;

/// A count as it may be shown outside the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "value", rename_all = "snake_case")]
pub enum Cell {
    Shown(u64),
    Suppressed,
}

impl Cell {
    pub fn is_suppressed(self) -> bool {
        self == Cell::Suppressed
    }

    pub fn shown(self) -> Option<u64> {
        match self {
            Cell::Shown(n) => Some(n),
            Cell::Suppressed => None,
        }
    }
}

/// A ratio as it may be shown outside the program. The f64 is for display
/// only; the counts and amounts behind it stay integers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "state", content = "value", rename_all = "snake_case")]
pub enum Rate {
    Shown(f64),
    Suppressed,
    /// Nothing to compute it from (a share of nobody).
    Empty,
}

/// True for a count that would single someone out.
pub fn is_small(n: u64) -> bool {
    (1..=SMALL_COUNT_MAX).contains(&n)
}

/// One count on its own, with no total to protect.
pub fn count(n: u64) -> Cell {
    if is_small(n) {
        Cell::Suppressed
    } else {
        Cell::Shown(n)
    }
}

/// `numerator / denominator`, shown only when neither part nor the rest of
/// the denominator could be a small count. See the module rules.
pub fn share(numerator: u64, denominator: u64) -> Rate {
    if denominator == 0 {
        return Rate::Empty;
    }
    let rest = denominator.saturating_sub(numerator);
    if denominator <= SMALL_COUNT_MAX || is_small(numerator) || is_small(rest) {
        return Rate::Suppressed;
    }
    // Display only.
    Rate::Shown(numerator as f64 / denominator as f64)
}

/// A statistic describing `people` women: shown only when they are more
/// than 10.
pub fn statistic(value: Option<f64>, people: u64) -> Rate {
    match value {
        None => Rate::Empty,
        Some(_) if people <= SMALL_COUNT_MAX => Rate::Suppressed,
        Some(v) => Rate::Shown(v),
    }
}

/// The whole program: the only scope at which rehabilitation status may be
/// cross-tabulated by loan status. It has no group and nothing converts a
/// group into it, so a group-level cross-tab cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgramScope {
    _whole_program: (),
}

impl ProgramScope {
    /// Callers state that the records handed in with it are the whole
    /// program's (the store's program-wide query), not one group's.
    pub const fn whole_program() -> ProgramScope {
        ProgramScope { _whole_program: () }
    }
}

/// Counts in rows and columns, before suppression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountTable {
    pub row_labels: Vec<String>,
    pub column_labels: Vec<String>,
    /// `cells[row][column]`.
    pub cells: Vec<Vec<u64>>,
}

/// A table as it may be shown outside the program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuppressedTable {
    pub row_labels: Vec<String>,
    pub column_labels: Vec<String>,
    pub cells: Vec<Vec<Cell>>,
    pub row_totals: Vec<Cell>,
    pub column_totals: Vec<Cell>,
    pub grand_total: Cell,
}

/// Why a table could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("a table needs at least one row and one column")]
    Empty,
    #[error("every row needs one count per column label")]
    Ragged,
}

impl CountTable {
    pub fn new(
        row_labels: Vec<String>,
        column_labels: Vec<String>,
        cells: Vec<Vec<u64>>,
    ) -> Result<CountTable, TableError> {
        if row_labels.is_empty() || column_labels.is_empty() {
            return Err(TableError::Empty);
        }
        if cells.len() != row_labels.len() || cells.iter().any(|r| r.len() != column_labels.len()) {
            return Err(TableError::Ragged);
        }
        Ok(CountTable {
            row_labels,
            column_labels,
            cells,
        })
    }

    /// A simple breakdown with a total: the one-row case.
    pub fn breakdown(
        label: impl Into<String>,
        categories: Vec<String>,
        counts: Vec<u64>,
    ) -> Result<CountTable, TableError> {
        CountTable::new(vec![label.into()], categories, vec![counts])
    }

    pub fn row_totals(&self) -> Vec<u64> {
        self.cells
            .iter()
            .map(|r| r.iter().fold(0u64, |a, &v| a.saturating_add(v)))
            .collect()
    }

    pub fn column_totals(&self) -> Vec<u64> {
        (0..self.column_labels.len())
            .map(|c| {
                self.cells.iter().fold(0u64, |a, r| {
                    a.saturating_add(r.get(c).copied().unwrap_or(0))
                })
            })
            .collect()
    }

    /// The table as it may leave the program; see the module rules.
    pub fn suppress(&self) -> SuppressedTable {
        let rows = self.cells.len();
        let cols = self.column_labels.len();
        // The grid with margins: row `rows` holds the column totals, column
        // `cols` the row totals, and the corner the grand total.
        let mut grid: Vec<Vec<u64>> = self
            .cells
            .iter()
            .zip(self.row_totals())
            .map(|(r, total)| r.iter().copied().chain([total]).collect())
            .collect();
        let column_totals = self.column_totals();
        let grand = column_totals.iter().fold(0u64, |a, &v| a.saturating_add(v));
        grid.push(column_totals.into_iter().chain([grand]).collect());
        let mut hidden: Vec<Vec<bool>> = grid
            .iter()
            .map(|r| r.iter().map(|&v| is_small(v)).collect())
            .collect();
        complete_suppression(&grid, &mut hidden);
        let cell = |r: usize, c: usize| {
            if hidden[r][c] {
                Cell::Suppressed
            } else {
                Cell::Shown(grid[r][c])
            }
        };
        SuppressedTable {
            row_labels: self.row_labels.clone(),
            column_labels: self.column_labels.clone(),
            cells: (0..rows)
                .map(|r| (0..cols).map(|c| cell(r, c)).collect())
                .collect(),
            row_totals: (0..rows).map(|r| cell(r, cols)).collect(),
            column_totals: (0..cols).map(|c| cell(rows, c)).collect(),
            grand_total: cell(rows, cols),
        }
    }
}

/// The lines of a grid with margins: every row and every column, each with
/// its total (the last member).
fn lines(rows: usize, cols: usize) -> Vec<Vec<(usize, usize)>> {
    let mut out: Vec<Vec<(usize, usize)>> = (0..rows)
        .map(|r| (0..cols).map(|c| (r, c)).collect())
        .collect();
    out.extend((0..cols).map(|c| (0..rows).map(|r| (r, c)).collect()));
    out
}

/// Complementary suppression to a fixed point: no line keeps exactly one
/// suppressed member. Each pass suppresses at least one more entry or stops,
/// so it ends after at most as many passes as there are entries.
fn complete_suppression(grid: &[Vec<u64>], hidden: &mut [Vec<bool>]) {
    let rows = grid.len();
    let cols = grid.first().map_or(0, Vec::len);
    let all_lines = lines(rows, cols);
    loop {
        let mut changed = false;
        for line in &all_lines {
            let suppressed = line.iter().filter(|&&(r, c)| hidden[r][c]).count();
            if suppressed != 1 {
                continue;
            }
            let complement = line
                .iter()
                .copied()
                .filter(|&(r, c)| !hidden[r][c])
                // Non-zero before zero, then smallest, then first.
                .min_by_key(|&(r, c)| (grid[r][c] == 0, grid[r][c]));
            if let Some((r, c)) = complement {
                hidden[r][c] = true;
                changed = true;
            }
        }
        if !changed {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn labels(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i}")).collect()
    }

    fn table(cells: Vec<Vec<u64>>) -> CountTable {
        let rows = cells.len();
        let cols = cells.first().map_or(0, Vec::len);
        CountTable::new(labels("r", rows), labels("c", cols), cells).unwrap()
    }

    #[test]
    fn a_cell_of_3_is_hidden_and_the_total_does_not_give_it_away() {
        // Row: 3, 25, 40 (total 68). The 3 is hidden; alone, 68 - 25 - 40
        // would give it back, so the smallest other cell (25) is hidden too.
        let t = CountTable::breakdown("women", labels("c", 3), vec![3, 25, 40])
            .unwrap()
            .suppress();
        assert_eq!(
            t.cells[0],
            vec![Cell::Suppressed, Cell::Suppressed, Cell::Shown(40)]
        );
        assert_eq!(t.row_totals[0], Cell::Shown(68));
        // In the one-row case each column total repeats its cell, and is
        // hidden with it; the row of column totals then has two hidden.
        assert_eq!(
            t.column_totals,
            vec![Cell::Suppressed, Cell::Suppressed, Cell::Shown(40)]
        );
        assert_eq!(t.grand_total, Cell::Shown(68));
    }

    #[test]
    fn complements_in_two_dimensions_protect_rows_and_columns() {
        //          c0  c1  c2 | total
        //   r0      3  20  30 |  53
        //   r1     15  12  40 |  67
        //   total  18  32  70 | 120
        // Primary: r0c0 (3). Row r0: complement the smallest, r0c1 (20).
        // Column c0 has one hidden (3): complement r1c0 (15, smaller than the
        // total 18). Column c1 has one hidden (20): complement r1c1 (12).
        // Row r1 now has two hidden (15, 12): done. No line has one hidden.
        let t = table(vec![vec![3, 20, 30], vec![15, 12, 40]]).suppress();
        use Cell::{Shown, Suppressed};
        assert_eq!(t.cells[0], vec![Suppressed, Suppressed, Shown(30)]);
        assert_eq!(t.cells[1], vec![Suppressed, Suppressed, Shown(40)]);
        assert_eq!(t.row_totals, vec![Shown(53), Shown(67)]);
        assert_eq!(t.column_totals, vec![Shown(18), Shown(32), Shown(70)]);
        assert_eq!(t.grand_total, Shown(120));
    }

    #[test]
    fn zero_is_shown_and_a_small_total_is_hidden_with_a_complement() {
        // One column: 0, 4 and 30 (total 34). Row r1 is [4 | 4]: the cell and
        // its row total are both small, both hidden. Column c0 is
        // 0, 4(hidden), 30 | 34: one hidden, so the smallest shown non-zero
        // member, 30, is hidden too (not the 0). The column of row totals is
        // the same and loses r2's total. The 0 and the grand total stay.
        let t = table(vec![vec![0], vec![4], vec![30]]).suppress();
        use Cell::{Shown, Suppressed};
        assert_eq!(
            t.cells,
            vec![vec![Shown(0)], vec![Suppressed], vec![Suppressed]]
        );
        assert_eq!(t.row_totals, vec![Shown(0), Suppressed, Suppressed]);
        assert_eq!(t.grand_total, Shown(34));
    }

    #[test]
    fn shares_hide_small_parts_and_small_denominators() {
        assert_eq!(share(5, 40), Rate::Suppressed);
        assert_eq!(share(39, 40), Rate::Suppressed, "one woman did not");
        assert_eq!(share(10, 10), Rate::Suppressed, "denominator of 10");
        assert_eq!(share(0, 40), Rate::Shown(0.0));
        assert_eq!(share(40, 40), Rate::Shown(1.0));
        assert_eq!(share(20, 40), Rate::Shown(0.5));
        assert_eq!(share(0, 0), Rate::Empty);
        assert_eq!(statistic(Some(36.0), 10), Rate::Suppressed);
        assert_eq!(statistic(Some(36.0), 11), Rate::Shown(36.0));
        assert_eq!(statistic(None, 30), Rate::Empty);
        assert_eq!(count(0), Cell::Shown(0));
        assert_eq!(count(10), Cell::Suppressed);
        assert_eq!(count(11), Cell::Shown(11));
    }

    #[test]
    fn ragged_or_empty_tables_are_refused() {
        assert_eq!(
            CountTable::new(labels("r", 2), labels("c", 2), vec![vec![1, 2]]),
            Err(TableError::Ragged)
        );
        assert_eq!(
            CountTable::new(vec![], labels("c", 2), vec![]),
            Err(TableError::Empty)
        );
    }

    fn arb_table() -> impl Strategy<Value = Vec<Vec<u64>>> {
        (1usize..6, 1usize..6).prop_flat_map(|(r, c)| {
            // Many small counts, some zeros, some large.
            let value = prop_oneof![Just(0u64), 1u64..=10, 11u64..200];
            prop::collection::vec(prop::collection::vec(value, c), r)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn no_line_keeps_a_single_hidden_cell_and_shown_counts_are_safe(
            cells in arb_table()
        ) {
            let t = table(cells).suppress();
            let rows = t.cells.len();
            let cols = t.column_labels.len();
            for c in t.cells.iter().flatten().chain(&t.row_totals)
                .chain(&t.column_totals).chain([&t.grand_total])
            {
                if let Cell::Shown(n) = c {
                    prop_assert!(*n == 0 || *n > SMALL_COUNT_MAX);
                }
            }
            for r in 0..rows {
                let hidden = t.cells[r].iter().filter(|c| c.is_suppressed()).count();
                prop_assert!(hidden != 1 || t.row_totals[r].is_suppressed());
                let members = hidden + usize::from(t.row_totals[r].is_suppressed());
                prop_assert!(members != 1);
            }
            for c in 0..cols {
                let hidden = (0..rows).filter(|&r| t.cells[r][c].is_suppressed()).count();
                prop_assert!(hidden != 1 || t.column_totals[c].is_suppressed());
                let members = hidden + usize::from(t.column_totals[c].is_suppressed());
                prop_assert!(members != 1);
            }
            let margin_rows = t.row_totals.iter().filter(|c| c.is_suppressed()).count()
                + usize::from(t.grand_total.is_suppressed());
            let margin_cols = t.column_totals.iter().filter(|c| c.is_suppressed()).count()
                + usize::from(t.grand_total.is_suppressed());
            prop_assert!(margin_rows != 1 && margin_cols != 1);
        }
    }
}
