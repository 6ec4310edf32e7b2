//! The service network (G4): building service points, community service centres and the
//! services organisations offer there, in the shape HSDS publishes.

pub mod api;
pub mod demo;
pub mod model;
pub mod pages;
pub mod service;
