//! Savings: thrift, voluntary savings, withdrawals, social fund, share-out.

pub mod shareout;
