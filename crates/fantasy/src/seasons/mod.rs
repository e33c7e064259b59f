//! Seasons and their teams (Jolpica's constructors): rows the import writes and the other
//! resources refer to. No routes of their own: a season is named by its year (`?season=`), a
//! team by its Jolpica id (`?team=red_bull`).

pub mod entity;
pub mod queries;
