//! Rate limits: the budgets of the API, of signing in and of uploads.

use super::parse::{Rate, number, parse_rate};
use super::{Field, Section, Setting};

/// The configured rate-limit budgets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimits {
    pub general: Rate,
    pub login: Rate,
    /// Logins per account from every network together (see `rate_limit_login_account`).
    pub login_account: Rate,
    pub register: Rate,
    pub password_reset: Rate,
    /// What each budget is divided by while Redis is down (`rate_limit_fallback_instances`).
    pub fallback_instances: u32,
    /// Upload requests per user.
    pub upload: Rate,
}

impl Section for RateLimits {
    const TITLE: &'static str = "Rate limits";
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            setting: Setting {
                key: "rate_limit_general",
                env: "AGORA_RATE_LIMIT_GENERAL",
                default: "300/1m",
                secret: false,
                help: "Requests to `/api/v1` allowed per signed-in user (per client address when anonymous), as `count/period` (`300/1m`, `5000/1h`).",
            },
            required: true,
            parse: |s, v| {
                s.general = parse_rate(v)?;
                Ok(())
            },
            show: |s| s.general.to_string(),
        },
        Field {
            setting: Setting {
                key: "rate_limit_login",
                env: "AGORA_RATE_LIMIT_LOGIN",
                default: "10/15m",
                secret: false,
                help: "Login attempts allowed per client address, and per account from one client network (IPv4 /24, IPv6 /64): an attacker elsewhere spends a budget that is not the owner's. An account is one budget whether it is named by username or email.",
            },
            required: true,
            parse: |s, v| {
                s.login = parse_rate(v)?;
                Ok(())
            },
            show: |s| s.login.to_string(),
        },
        Field {
            setting: Setting {
                key: "rate_limit_login_account",
                env: "AGORA_RATE_LIMIT_LOGIN_ACCOUNT",
                default: "100/1h",
                secret: false,
                help: "Login attempts allowed per account from all networks together. Once spent, only networks that have signed in to that account before may keep trying (each within `rate_limit_login`); the owner at home is not locked out by an attacker elsewhere.",
            },
            required: true,
            parse: |s, v| {
                s.login_account = parse_rate(v)?;
                Ok(())
            },
            show: |s| s.login_account.to_string(),
        },
        Field {
            setting: Setting {
                key: "rate_limit_register",
                env: "AGORA_RATE_LIMIT_REGISTER",
                default: "3/1h",
                secret: false,
                help: "Account registrations allowed per client address.",
            },
            required: true,
            parse: |s, v| {
                s.register = parse_rate(v)?;
                Ok(())
            },
            show: |s| s.register.to_string(),
        },
        Field {
            setting: Setting {
                key: "rate_limit_password_reset",
                env: "AGORA_RATE_LIMIT_PASSWORD_RESET",
                default: "5/1h",
                secret: false,
                help: "Password reset requests allowed per client address and, separately, per email address.",
            },
            required: true,
            parse: |s, v| {
                s.password_reset = parse_rate(v)?;
                Ok(())
            },
            show: |s| s.password_reset.to_string(),
        },
        Field {
            setting: Setting {
                key: "rate_limit_fallback_instances",
                env: "AGORA_RATE_LIMIT_FALLBACK_INSTANCES",
                default: "2",
                secret: false,
                help: "While Redis is configured but unreachable, each instance limits on its own with every budget divided by this number (the instances you run; from 1 to 1000), and keeps refusing the clients that were refused before the outage until their wait is over.",
            },
            required: true,
            parse: |s, v| {
                s.fallback_instances = number(v, 1, 1000)?;
                Ok(())
            },
            show: |s| s.fallback_instances.to_string(),
        },
        Field {
            setting: Setting {
                key: "rate_limit_upload",
                env: "AGORA_RATE_LIMIT_UPLOAD",
                default: "60/1h",
                secret: false,
                help: "Upload requests (`/media/upload`, profile pictures) allowed per user, whatever the number of files in each.",
            },
            required: true,
            parse: |s, v| {
                s.upload = parse_rate(v)?;
                Ok(())
            },
            show: |s| s.upload.to_string(),
        },
    ];
}
