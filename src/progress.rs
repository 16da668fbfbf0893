//! A progress bar on the terminal for long commands (`sakhi demo`); drawn
//! only when stderr is a terminal, so logs and CI output stay clean.

use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Mutex;

pub struct Bar {
    current: Mutex<Option<ProgressBar>>,
}

impl Bar {
    pub fn new() -> Bar {
        Bar {
            current: Mutex::new(None),
        }
    }

    fn with(&self, f: impl FnOnce(&mut Option<ProgressBar>)) {
        // A poisoned lock only means another stage's drawing panicked: the
        // bar is cosmetic, so carry on with what is there.
        let mut guard = match self.current.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard);
    }
}

impl Default for Bar {
    fn default() -> Bar {
        Bar::new()
    }
}

impl crate::demo::Progress for Bar {
    fn begin(&self, stage: &str, total: u64) {
        let bar = ProgressBar::new(total);
        let style = ProgressStyle::with_template(
            "{msg:>40} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(stage.to_string());
        self.with(|current| {
            if let Some(old) = current.replace(bar) {
                old.finish();
            }
        });
    }

    fn advance(&self, steps: u64) {
        self.with(|current| {
            if let Some(bar) = current {
                bar.inc(steps);
            }
        });
    }

    fn end(&self) {
        self.with(|current| {
            if let Some(bar) = current.take() {
                bar.finish();
            }
        });
    }
}
