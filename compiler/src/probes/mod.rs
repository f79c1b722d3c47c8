//! Probe providers: one file per provider (how its attach points are spelled, which
//! programs and sections they become, what context they give the script).
