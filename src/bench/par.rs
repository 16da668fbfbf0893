//! `sakhi bench par`: arrears, PAR and ageing of a large portfolio built in
//! memory.

use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;
use std::time::Instant;

#[derive(Debug, Args)]
pub struct ParBenchArgs {
    /// Active loans in the portfolio.
    #[arg(long, default_value_t = 100_000)]
    pub loans: usize,
    /// Weekly installments per loan.
    #[arg(long, default_value_t = 52)]
    pub installments: u32,
}

/// A year of weekly loans: most paid on time, some a few weeks late, some
/// stopped paying. Built in memory: this measures the engine, not the disk.
pub fn par(args: &ParBenchArgs) -> anyhow::Result<()> {
    use crate::loans::allocation::{allocate, apply, AllocationRule};
    use crate::loans::portfolio::{arrears, par_and_ageing};
    use crate::loans::schedule::{
        generate, Amortization, Frequency, InterestMethod, InterestPeriod, LoanTerms, RatePer,
    };
    use crate::loans::state::{InstallmentState, LoanState, Parts};

    let start = NaiveDate::from_ymd_opt(2025, 1, 6).context("date")?;
    let as_of = NaiveDate::from_ymd_opt(2026, 1, 5).context("date")?;
    let built = Instant::now();
    let mut states = Vec::with_capacity(args.loans);
    for i in 0..args.loans {
        let disbursed = start + chrono::Days::new((i % 28) as u64);
        let schedule = generate(&LoanTerms {
            principal: 500_000 + (i % 50) as i64 * 10_000,
            rate: rust_decimal::Decimal::from(24),
            rate_per: RatePer::Year,
            installments: args.installments,
            every: 1,
            frequency: Frequency::Week,
            method: InterestMethod::Flat,
            amortization: Amortization::EqualInstallments,
            interest_period: InterestPeriod::Repayment,
            disbursed,
            first_due: None,
            grace_principal: 0,
            grace_interest: 0,
            interest_free: 0,
            installment_multiple: 100,
            minor_units: 2,
        })?;
        let mut state = LoanState {
            installments: schedule
                .installments
                .iter()
                .map(|r| InstallmentState {
                    number: r.number,
                    due_date: r.due_date,
                    due: Parts {
                        principal: r.principal,
                        interest: r.interest,
                        ..Parts::default()
                    },
                    paid: Parts::default(),
                    waived: Parts::default(),
                })
                .collect(),
            payments: Vec::new(),
        };
        // 80% pay on the due date, 12% pay three weeks late, 8% stop halfway.
        let (delay, stop) = match i % 25 {
            0..=19 => (0, u32::MAX),
            20..=22 => (21, u32::MAX),
            _ => (0, args.installments / 2),
        };
        let dues: Vec<(u32, NaiveDate, i64)> = state
            .installments
            .iter()
            .map(|r| (r.number, r.due_date, r.due.total()))
            .collect();
        for (n, due, amount) in dues {
            let paid_on = due + chrono::Days::new(delay);
            if n > stop || paid_on > as_of {
                break;
            }
            let lines = allocate(&state, amount, paid_on, AllocationRule::Standard)?;
            apply(&mut state, paid_on, &lines);
        }
        states.push(state);
    }
    let payments: usize = states.iter().map(|s| s.payments.len()).sum();
    println!(
        "sakhi bench par: {} loans x {} weekly installments, {} payments (built in {:.1} s)",
        args.loans,
        args.installments,
        payments,
        built.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let overdue_loans = states
        .iter()
        .filter(|s| arrears(s, as_of).days_past_due > 0)
        .count();
    let arrears_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let (figures, ageing) = par_and_ageing(states.iter(), as_of);
    let par_s = started.elapsed().as_secs_f64();
    println!("  arrears of every loan as of {as_of}   {arrears_s:>8.3} s  ({overdue_loans} loans overdue)");
    println!("  PAR and ageing, one pass          {par_s:>8.3} s");
    println!(
        "  total                             {:>8.3} s",
        arrears_s + par_s
    );
    println!(
        "  PAR1 {:.4}  PAR30 {:.4}  PAR90 {:.4}  ({} loans more than 180 days late)",
        figures.ratio(1),
        figures.ratio(30),
        figures.ratio(90),
        ageing.over_180.loans
    );
    Ok(())
}
