//! The emails Agora sends. Each [`Template`] carries exactly what its text needs, so a caller
//! cannot forget a value; it renders to a subject, a plain-text body and an HTML body.
//!
//! The template files (`crates/platform/templates/email/`) are compiled into the binary. HTML
//! templates escape every value (minijinja escapes by the `.html` extension); the text ones are
//! not escaped. An undefined variable is an error, so the unit tests below catch a typo.

use std::sync::LazyLock;

use minijinja::{Environment, UndefinedBehavior, context};
use url::Url;

/// The template files, by name.
const FILES: &[(&str, &str)] = &[
    (
        "layout.html",
        include_str!("../../templates/email/layout.html"),
    ),
    (
        "verify_email.html",
        include_str!("../../templates/email/verify_email.html"),
    ),
    (
        "verify_email.txt",
        include_str!("../../templates/email/verify_email.txt"),
    ),
    (
        "password_reset.html",
        include_str!("../../templates/email/password_reset.html"),
    ),
    (
        "password_reset.txt",
        include_str!("../../templates/email/password_reset.txt"),
    ),
    (
        "welcome.html",
        include_str!("../../templates/email/welcome.html"),
    ),
    (
        "welcome.txt",
        include_str!("../../templates/email/welcome.txt"),
    ),
    (
        "notification_digest.html",
        include_str!("../../templates/email/notification_digest.html"),
    ),
    (
        "notification_digest.txt",
        include_str!("../../templates/email/notification_digest.txt"),
    ),
];

static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // A loader rather than `add_template`: a template that does not parse then fails its render
    // (which the tests exercise) instead of the start-up.
    env.set_loader(|name| {
        Ok(FILES
            .iter()
            .find(|(file, _)| *file == name)
            .map(|(_, source)| (*source).to_owned()))
    });
    env
});

/// An email Agora sends, with the values its text needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Template {
    /// Asks the owner of an address to confirm it by following `link`.
    VerifyEmail { username: String, link: Url },
    /// Lets an account's owner choose a new password by following `link`.
    PasswordReset { username: String, link: Url },
    /// Greets a new account; `link` leads to the application.
    Welcome { username: String, link: Url },
    /// The unread notifications of a day; `link` leads to all of them.
    NotificationDigest {
        username: String,
        items: Vec<DigestItem>,
        link: Url,
    },
}

/// One notification in a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestItem {
    pub title: String,
    pub link: Url,
}

/// A rendered email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Template {
    /// The template's name, also its files' stem: `verify_email`, `password_reset`, `welcome`.
    pub fn name(&self) -> &'static str {
        match self {
            Template::VerifyEmail { .. } => "verify_email",
            Template::PasswordReset { .. } => "password_reset",
            Template::Welcome { .. } => "welcome",
            Template::NotificationDigest { .. } => "notification_digest",
        }
    }

    fn subject(&self) -> &'static str {
        match self {
            Template::VerifyEmail { .. } => "Confirm your email address",
            Template::PasswordReset { .. } => "Reset your password",
            Template::Welcome { .. } => "Welcome to Agora",
            Template::NotificationDigest { .. } => "Your unread notifications",
        }
    }

    pub fn render(&self) -> Result<Rendered, minijinja::Error> {
        let context = match self {
            Template::VerifyEmail { username, link }
            | Template::PasswordReset { username, link }
            | Template::Welcome { username, link } => {
                context! { username => username, link => link.as_str() }
            }
            Template::NotificationDigest {
                username,
                items,
                link,
            } => {
                let items: Vec<_> = items
                    .iter()
                    .map(|item| context! { title => item.title.as_str(), link => item.link.as_str() })
                    .collect();
                context! { username => username, items => items, link => link.as_str() }
            }
        };
        let render = |extension: &str| {
            ENVIRONMENT
                .get_template(&format!("{}.{extension}", self.name()))?
                .render(&context)
        };
        Ok(Rendered {
            subject: self.subject().to_owned(),
            text: render("txt")?,
            html: render("html")?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use super::*;

    fn link() -> Url {
        Url::parse("https://agora.example/verify?token=abc&x=1").expect("a valid URL")
    }

    fn all(username: &str) -> Vec<Template> {
        vec![
            Template::VerifyEmail {
                username: username.to_owned(),
                link: link(),
            },
            Template::PasswordReset {
                username: username.to_owned(),
                link: link(),
            },
            Template::Welcome {
                username: username.to_owned(),
                link: link(),
            },
            Template::NotificationDigest {
                username: username.to_owned(),
                items: vec![DigestItem {
                    title: format!("{username} replied to your topic"),
                    link: link(),
                }],
                link: link(),
            },
        ]
    }

    #[test]
    fn every_template_renders_both_bodies_with_the_link() {
        for template in all("alice") {
            let rendered = template
                .render()
                .unwrap_or_else(|err| panic!("{}: {err}", template.name()));
            assert!(!rendered.subject.is_empty());
            assert!(rendered.text.contains("Hello alice,"), "{}", rendered.text);
            assert!(
                rendered
                    .text
                    .contains("https://agora.example/verify?token=abc&x=1"),
                "the text body keeps the link as it is: {}",
                rendered.text
            );
            assert!(rendered.html.starts_with("<!DOCTYPE html>"));
            // Escaped as an attribute value: `&` and `/` become character references, which
            // every HTML reader turns back into the link.
            assert!(
                rendered.html.contains(
                    "href=\"https:&#x2f;&#x2f;agora.example&#x2f;verify?token=abc&amp;x=1\""
                ),
                "{}",
                rendered.html
            );
        }
    }

    #[test]
    fn html_bodies_escape_what_users_choose() {
        for template in all("<script>alert(1)</script>") {
            let rendered = template
                .render()
                .unwrap_or_else(|err| panic!("{}: {err}", template.name()));
            assert!(!rendered.html.contains("<script>"), "{}", rendered.html);
            assert!(
                rendered
                    .html
                    .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
            );
            // Plain text is not HTML: it shows the name as typed.
            assert!(rendered.text.contains("<script>alert(1)</script>"));
        }
    }

    #[test]
    fn subjects_and_names_differ_per_template() {
        let templates = all("bob");
        let names: Vec<_> = templates.iter().map(Template::name).collect();
        assert_eq!(
            names,
            [
                "verify_email",
                "password_reset",
                "welcome",
                "notification_digest"
            ]
        );
        let subjects: Vec<_> = templates
            .iter()
            .map(|t| t.render().expect("renders").subject)
            .collect();
        assert_eq!(
            subjects,
            [
                "Confirm your email address",
                "Reset your password",
                "Welcome to Agora",
                "Your unread notifications"
            ]
        );
    }
}
