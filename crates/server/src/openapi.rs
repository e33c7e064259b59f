//! The OpenAPI 3.1 document, generated from the handlers' annotations, and the Swagger UI that
//! browses it. Both are served from the binary: the UI's files are embedded at build time
//! (`utoipa-swagger-ui`'s `vendored` feature), so `/docs` needs no CDN and no download.

use agora_core::{FieldError, Problem};
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi as _};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Agora API",
        description = "One API for Agora's products: the social network, the organizations' \
            forums, the F1 fantasy league and tasks, on one shared core. Errors are RFC 9457 \
            problem documents (`application/problem+json`); clients switch on their `code`.",
        license(name = "AGPL-3.0-or-later"),
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&BearerAuth),
    tags(
        (name = "platform", description = "Health, documentation and server-wide endpoints"),
        (name = "identity", description = "Accounts, sign-in, tokens and sessions"),
        (name = "admin", description = "Administration of accounts, the audit log and the job queue (admins only)"),
        (name = "notifications", description = "The signed-in user's notifications and their channels"),
        (name = "realtime", description = "The WebSocket of real-time events (`/ws`, protocol in docs/realtime.md) and its tickets"),
        (name = "media", description = "Uploads (checked by content, images re-encoded with thumbnails) and the profile picture; stored media is served at `/media/{key}`"),
    ),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The document before the routes add their paths.
pub fn base() -> OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}
