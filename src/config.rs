//! Configuration: command-line flags and environment (merged by clap, flag
//! first), then an optional TOML file, then defaults that need no set-up.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "data";
/// Read when present and no `--config` was given.
pub const DEFAULT_CONFIG_FILE: &str = "sakhi.toml";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub database_url: String,
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    /// The identity key file named by flag, environment or file; `None`
    /// means the default `<data_dir>/identity.key`, used only if it exists.
    pub identity_key_file: Option<PathBuf>,
}

/// What the command line and environment said; `None` where they were silent.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub bind: Option<String>,
    pub identity_key_file: Option<PathBuf>,
}

/// The file the identity key is kept in when nothing else is configured.
pub const DEFAULT_KEY_FILE: &str = "identity.key";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    data_dir: Option<PathBuf>,
    bind: Option<String>,
    identity_key_file: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("bind address {0:?} is not valid: use host:port, like 127.0.0.1:8080")]
    Bind(String),
    #[error("database URL must start with sqlite: or postgres:// (or be a file path), not {0:?}")]
    DatabaseUrl(String),
}

impl Config {
    pub fn resolve(overrides: Overrides) -> Result<Config, ConfigError> {
        let file = match &overrides.config_file {
            Some(path) => read_file(path)?,
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => {
                read_file(Path::new(DEFAULT_CONFIG_FILE))?
            }
            None => FileConfig::default(),
        };
        let data_dir = overrides
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let database_url = overrides
            .database_url
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite:{}", data_dir.join("sakhi.db").display()));
        if database_url.contains("://")
            && !database_url.starts_with("sqlite://")
            && !crate::store::is_postgres_url(&database_url)
        {
            return Err(ConfigError::DatabaseUrl(redact_url(&database_url)));
        }
        let bind_text = overrides
            .bind
            .or(file.bind)
            .unwrap_or_else(|| DEFAULT_BIND.to_string());
        let bind = bind_text
            .parse::<SocketAddr>()
            .map_err(|_| ConfigError::Bind(bind_text.clone()))?;
        Ok(Config {
            database_url,
            data_dir,
            bind,
            identity_key_file: overrides.identity_key_file.or(file.identity_key_file),
        })
    }

    /// Where the identity key is read from: the configured file, or the
    /// default file in the data folder when one is there.
    pub fn identity_key_path(&self) -> Option<PathBuf> {
        match &self.identity_key_file {
            Some(path) => Some(path.clone()),
            None => {
                let default = self.default_identity_key_path();
                default.exists().then_some(default)
            }
        }
    }

    pub fn default_identity_key_path(&self) -> PathBuf {
        self.data_dir.join(DEFAULT_KEY_FILE)
    }

    /// The database URL with any password replaced, for logs and messages.
    pub fn redacted_database_url(&self) -> String {
        redact_url(&self.database_url)
    }
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.message().to_string(),
    })
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}{tail}")
            } else {
                url.to_string()
            }
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_nothing_configured_sqlite_lives_in_the_data_folder() {
        let c = Config::resolve(Overrides {
            config_file: None,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.database_url, "sqlite:data/sakhi.db");
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
    }

    #[test]
    fn a_data_dir_moves_the_default_database() {
        let c = Config::resolve(Overrides {
            data_dir: Some("/var/lib/sakhi".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.database_url, "sqlite:/var/lib/sakhi/sakhi.db");
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sakhi.toml");
        std::fs::write(
            &file,
            "database_url = \"postgres://sakhi@db/sakhi\"\nbind = \"0.0.0.0:9000\"\n",
        )
        .unwrap();
        let c = Config::resolve(Overrides {
            config_file: Some(file.clone()),
            bind: Some("127.0.0.1:7000".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.database_url, "postgres://sakhi@db/sakhi");
        assert_eq!(c.bind.to_string(), "127.0.0.1:7000");
    }

    #[test]
    fn bad_settings_are_refused_with_the_setting_named() {
        let err = Config::resolve(Overrides {
            bind: Some("localhost".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("bind address \"localhost\""));
        let err = Config::resolve(Overrides {
            database_url: Some("mysql://u:pw@h/db".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("mysql://u:***@h/db"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "colour = \"blue\"\n").unwrap();
        let err = Config::resolve(Overrides {
            config_file: Some(file),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("unknown field `colour`"), "{err}");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://sakhi:s3cret@db:5432/sakhi"),
            "postgres://sakhi:***@db:5432/sakhi"
        );
        assert_eq!(redact_url("postgres://sakhi@db/x"), "postgres://sakhi@db/x");
        assert_eq!(redact_url("sqlite:data/sakhi.db"), "sqlite:data/sakhi.db");
    }
}
