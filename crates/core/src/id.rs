//! Typed identifiers.
//!
//! Every resource has its own id type (`UserId`, `TaskId`, ...) so that ids of different things
//! never mix across a function boundary. All ids are UUIDv7: unique without coordination between
//! instances and ordered by creation time, which keeps B-tree inserts at the right edge.

/// Declares a newtype id over a UUIDv7.
///
/// ```
/// agora_core::id_type!(
///     /// Identifies a widget.
///     WidgetId
/// );
/// let id = WidgetId::new();
/// assert_eq!(id.to_string().parse::<WidgetId>().unwrap(), id);
/// ```
#[macro_export]
macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
            ::serde::Serialize, ::serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub ::uuid::Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(::uuid::Uuid::now_v7())
            }

            pub fn as_uuid(&self) -> ::uuid::Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                ::uuid::Uuid::parse_str(s).map(Self)
            }
        }

        impl From<::uuid::Uuid> for $name {
            fn from(uuid: ::uuid::Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for ::uuid::Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                use ::utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                    .into()
            }
        }

        impl ::utoipa::ToSchema for $name {}
    };
}

id_type!(
    /// Identifies an account.
    UserId
);
id_type!(
    /// Identifies an organization.
    OrganizationId
);
id_type!(
    /// Identifies a signed-in session (one device or client).
    SessionId
);

#[cfg(test)]
mod tests {
    id_type!(
        /// An id for tests.
        ThingId
    );

    #[test]
    fn ids_are_uuid_v7_and_increase() {
        let a = ThingId::new();
        let b = ThingId::new();
        assert_eq!(a.as_uuid().get_version_num(), 7);
        assert!(a < b, "v7 ids sort by creation time");
    }

    #[test]
    fn ids_serialize_as_plain_strings() {
        let id = ThingId::new();
        let json = serde_json::to_string(&id).expect("serializes");
        assert_eq!(json, format!("\"{id}\""));
        let back: ThingId = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, id);
    }
}
