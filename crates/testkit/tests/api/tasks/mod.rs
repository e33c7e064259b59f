//! The tasks product.

mod writes;
