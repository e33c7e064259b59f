//! Media: uploads, the image pipeline, profile pictures, quotas and limits.

mod uploads;
