//! Usernames, display names and email addresses, parsed at the edge so the rest of the code
//! holds valid ones.

use std::fmt;

use agora_core::{FieldCode, Invalid};

/// The longest display name, in characters.
pub const DISPLAY_NAME_MAX: usize = 50;

/// 3–30 letters, digits or `_`, unique without regard to case (`Alice` and `alice` are one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(value: &str) -> Result<Username, Invalid> {
        let value = value.trim();
        let length = value.chars().count();
        if !(3..=30).contains(&length) {
            return Err(Invalid::new(
                if value.chars().count() < 3 {
                    FieldCode::TooShort
                } else {
                    FieldCode::TooLong
                },
                "must be 3 to 30 characters long",
            ));
        }
        if !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(Invalid::new(
                FieldCode::InvalidFormat,
                "may contain only letters, digits and underscores",
            ));
        }
        Ok(Username(value.to_owned()))
    }

    /// A name someone chooses for themselves (registration, onboarding, an account made for an
    /// external identity): [`Username::parse`] plus the rule that a name which reads as staff or
    /// as the service itself ([`is_reserved`]) is not available. Look-ups of existing names,
    /// and an operator creating an admin from the command line, use `parse`.
    pub fn parse_new(value: &str) -> Result<Username, Invalid> {
        let username = Username::parse(value)?;
        if is_reserved(username.as_str()) {
            return Err(Invalid::new(FieldCode::Invalid, "is reserved"));
        }
        Ok(username)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form uniqueness is checked on.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Names that would let an account pass for staff, for the service or for a system mailbox.
const RESERVED: &[&str] = &[
    "abuse",
    "account",
    "accounts",
    "admin",
    "administrator",
    "agora",
    "anonymous",
    "api",
    "auth",
    "billing",
    "bot",
    "ceo",
    "contact",
    "everyone",
    "help",
    "helpdesk",
    "hostmaster",
    "info",
    "mailerdaemon",
    "moderator",
    "moderators",
    "mod",
    "mods",
    "noreply",
    "null",
    "official",
    "operator",
    "owner",
    "postmaster",
    "privacy",
    "root",
    "security",
    "staff",
    "superuser",
    "support",
    "sysadmin",
    "system",
    "team",
    "undefined",
    "webmaster",
];

/// Whether a username is reserved: compared without case, underscores and trailing digits, so
/// `Admin`, `ad_min`, `admin_2` and `Support1` are all taken by the rule.
pub fn is_reserved(name: &str) -> bool {
    let folded: String = name
        .chars()
        .filter(|c| *c != '_')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let stem = folded.trim_end_matches(|c: char| c.is_ascii_digit());
    RESERVED.contains(&stem)
}

/// An email address: one `@`, a plausible local part and a domain with a dot, at most 254
/// characters; unique without regard to case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(value: &str) -> Result<EmailAddress, Invalid> {
        let value = value.trim();
        const INVALID: &str = "is not a valid email address";
        if value.is_empty() || value.len() > 254 {
            return Err(Invalid::new(FieldCode::InvalidFormat, INVALID));
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return Err(Invalid::new(FieldCode::InvalidFormat, INVALID));
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let domain_ok = domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok {
            Ok(EmailAddress(value.to_owned()))
        } else {
            Err(Invalid::new(FieldCode::InvalidFormat, INVALID))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form uniqueness and look-ups use.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_rules() {
        for ok in ["abc", "Alice_99", "a_b_c", &"x".repeat(30)] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            &"x".repeat(31),
            "has space",
            "dash-ed",
            "émile",
            "a.b",
            "",
        ] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Username::parse("Alice").map(|u| u.key()),
            Ok("alice".to_owned())
        );
    }

    #[test]
    fn staff_and_system_names_are_reserved_for_new_accounts_only() {
        for reserved in [
            "admin",
            "Admin",
            "ADMINISTRATOR",
            "root",
            "support",
            "Support_1",
            "moderator",
            "ad_min",
            "admin_2024",
            "postmaster",
        ] {
            assert_eq!(
                Username::parse_new(reserved),
                Err(Invalid::new(FieldCode::Invalid, "is reserved")),
                "{reserved}"
            );
            // Existing names (and an operator's admin account) still parse.
            assert!(Username::parse(reserved).is_ok(), "{reserved}");
        }
        for free in ["admiral", "rooted", "supporter_fan", "alice", "mod_squad"] {
            assert!(Username::parse_new(free).is_ok(), "{free}");
        }
    }

    #[test]
    fn email_addresses_follow_the_rules() {
        for ok in [
            "a@b.co",
            "first.last+tag@example.com",
            "X_Y@sub.example.org",
        ] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@localhost",
            "a@@b.com",
            "a b@c.com",
            ".a@b.com",
            "a..b@c.com",
            "a@-b.com",
            "a@b..com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            EmailAddress::parse("Bob@Example.COM").map(|e| e.key()),
            Ok("bob@example.com".to_owned())
        );
    }
}
